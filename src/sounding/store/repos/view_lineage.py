"""What each view's lineage was last derived from (``view_lineage_state``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables_lineage import lineage_edges as edges
from sounding.store.tables_lineage import view_lineage_state as state

_CHUNK = 500


def states(conn: Connection, urn_prefix: str) -> dict[str, dict[str, Any]]:
    """``{view urn: {"fingerprint", "problems"}}`` of the views under ``urn_prefix``."""
    query = sa.select(state.c.view_urn, state.c.fingerprint, state.c.problems).where(
        state.c.view_urn.startswith(urn_prefix, autoescape=True)
    )
    return {
        r.view_urn: {"fingerprint": r.fingerprint, "problems": list(r.problems or [])}
        for r in conn.execute(query)
    }


def put(
    conn: Connection, view_urn: str, fingerprint: str, problems: list[str], now: datetime
) -> None:
    conn.execute(sa.delete(state).where(state.c.view_urn == view_urn))
    conn.execute(
        sa.insert(state).values(
            view_urn=view_urn, fingerprint=fingerprint, problems=problems, updated_at=now
        )
    )


def forget(conn: Connection, view_urns: Iterable[str]) -> None:
    urns = list(view_urns)
    for i in range(0, len(urns), _CHUNK):
        conn.execute(sa.delete(state).where(state.c.view_urn.in_(urns[i : i + _CHUNK])))


def forget_prefix(conn: Connection, urn_prefix: str) -> None:
    """Forget every view under ``urn_prefix`` (a removed source's)."""
    conn.execute(sa.delete(state).where(state.c.view_urn.startswith(urn_prefix, autoescape=True)))


def touch_edges(conn: Connection, view_urns: Sequence[str], now: datetime) -> None:
    """The edges of views whose lineage still holds were seen again ``now``."""
    for i in range(0, len(view_urns), _CHUNK):
        conn.execute(
            sa.update(edges)
            .where(edges.c.origin == "view", edges.c.origin_key.in_(view_urns[i : i + _CHUNK]))
            .values(last_seen=now)
        )
