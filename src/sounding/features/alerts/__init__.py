"""Alerts: subscriptions to assets, domains, sources, saved searches and workflows, the
in-app inbox, and the dispatcher that turns catalog events (``services/events.py``) into
notifications and hands external channels to delivery (``services/delivery.py``).

``records`` (the typed records), ``service`` (subscriptions and the inbox), ``dispatcher``
(matching and the runtime part a server starts), ``repo`` and ``tables`` with
``migrations/`` (branch ``alerts_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sounding.services.features import Feature

if TYPE_CHECKING:
    from sounding.services.context import Context


def _start(ctx: Context) -> None:
    from sounding.features.alerts.dispatcher import dispatcher

    dispatcher(ctx).start()


FEATURE = Feature("alerts", start=_start)
"""Alerts: subscriptions, the inbox and the dispatcher a server runs."""
