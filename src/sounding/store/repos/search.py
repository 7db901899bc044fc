"""The search outbox: what changed, read by each index from its own cursor.

Every embedded index (one per server home) keeps the id of the last note it applied, so
several servers on one PostgreSQL each catch up on their own; notes far behind every
cursor are pruned.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables_search import search_outbox

ASSET = "asset"


def pending(
    conn: Connection, after: int, limit: int
) -> tuple[list[tuple[str, int, str | None]], int | None]:
    """Distinct (kind, id, urn) noted after ``after`` (up to ``limit`` notes), last note id.

    ``kind`` is ``asset`` or another document type (``glossary_term``) whose id it is."""
    rows = conn.execute(
        sa.select(
            search_outbox.c.id, search_outbox.c.asset_id, search_outbox.c.urn, search_outbox.c.kind
        )
        .where(search_outbox.c.id > after)
        .order_by(search_outbox.c.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], None
    seen: dict[tuple[str, int], str | None] = {}
    for r in rows:
        key = (r.kind or ASSET, r.asset_id)
        seen[key] = r.urn or seen.get(key)
    return [(kind, ref, urn) for (kind, ref), urn in seen.items()], int(rows[-1].id)


def newer_than(conn: Connection, after: int) -> bool:
    """Whether any note was written after ``after``."""
    query = sa.select(search_outbox.c.id).where(search_outbox.c.id > after).limit(1)
    return conn.execute(query).first() is not None


def last_id(conn: Connection) -> int:
    return int(
        conn.execute(sa.select(sa.func.coalesce(sa.func.max(search_outbox.c.id), 0))).scalar_one()
    )


def prune(conn: Connection, up_to: int) -> int:
    result = conn.execute(sa.delete(search_outbox).where(search_outbox.c.id <= up_to))
    return int(result.rowcount)
