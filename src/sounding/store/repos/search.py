"""The search outbox: what changed since the index last caught up."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables_search import search_outbox


def pending(conn: Connection, limit: int) -> tuple[list[int], int | None]:
    """Distinct asset ids noted (oldest first, up to ``limit`` notes) and the last note id."""
    rows = conn.execute(
        sa.select(search_outbox.c.id, search_outbox.c.asset_id)
        .order_by(search_outbox.c.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], None
    return list(dict.fromkeys(r.asset_id for r in rows)), int(rows[-1].id)


def ack(conn: Connection, up_to: int) -> None:
    conn.execute(sa.delete(search_outbox).where(search_outbox.c.id <= up_to))


def backlog(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(search_outbox)).scalar_one())


def clear(conn: Connection) -> None:
    conn.execute(sa.delete(search_outbox))
