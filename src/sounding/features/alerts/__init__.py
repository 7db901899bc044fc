"""Alerts: subscriptions to assets, domains, sources, saved searches and workflows, the
in-app inbox, and the dispatcher that turns catalog events (``services/events.py``) into
notifications and hands external channels to delivery (``services/delivery.py``).

``records`` (the typed records), ``service`` (subscriptions and the inbox), ``dispatcher``
(matching and the runtime part a server starts), ``repo`` and ``tables`` with
``migrations/`` (branch ``alerts_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from sounding.services.features import Feature, Prunable

if TYPE_CHECKING:
    from sounding.services.context import Context


def _start(ctx: Context) -> None:
    from sounding.features.alerts.dispatcher import dispatcher

    dispatcher(ctx).start()


def _table(name: str) -> sa.Table:
    from sounding.features.alerts import tables

    table: sa.Table = getattr(tables, name)
    return table


def _events() -> sa.Table:
    from sounding.store.tables_events import catalog_events

    return catalog_events


def _dispatched() -> sa.ColumnElement[bool]:
    """Events the dispatcher has read (its cursor is past them): the ones still to be told
    stay whatever their age."""
    cursor = _table("alert_cursor")
    told = sa.select(sa.func.coalesce(sa.func.max(cursor.c.event_id), 0)).scalar_subquery()
    return _events().c.id <= told


# inbox notifications first (they name their event), then the events already told
PRUNABLE = (
    Prunable("alerts", lambda: _table("alert_notifications"), "created_at"),
    Prunable("alerts", _events, "created_at", _dispatched),
)

FEATURE = Feature("alerts", start=_start, prunable=PRUNABLE)
"""Alerts: subscriptions, the inbox and the dispatcher a server runs."""
