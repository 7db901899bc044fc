"""Lineage edges: replace an origin's edge set, walk neighbours level by level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables import assets
from sounding.store.tables_lineage import lineage_edges as edges

_CHUNK = 500
# built once: an alias copies every column of ``assets``, which cost a lineage read more
# CPU than its queries (issue 20's profile)
_FAR_ASSET = assets.alias("far_asset")
EdgeKey = tuple[int, int, str]


def replace_origin(
    conn: Connection,
    origin: str,
    origin_key: str,
    new: Sequence[dict[str, Any]],
    now: datetime,
    actor: str | None = None,
) -> tuple[int, int, int]:
    """Make ``new`` the whole edge set of (origin, origin_key). Returns (added, kept, removed)."""
    existing = {
        (r.source_id, r.target_id, r.level): r.id
        for r in conn.execute(
            sa.select(edges.c.id, edges.c.source_id, edges.c.target_id, edges.c.level).where(
                edges.c.origin == origin, edges.c.origin_key == origin_key
            )
        )
    }
    wanted: dict[EdgeKey, dict[str, Any]] = {}
    for e in new:
        wanted[(e["source_id"], e["target_id"], e["level"])] = e
    gone = [i for k, i in existing.items() if k not in wanted]
    for i in range(0, len(gone), _CHUNK):
        conn.execute(sa.delete(edges).where(edges.c.id.in_(gone[i : i + _CHUNK])))
    kept = [existing[k] for k in wanted if k in existing]
    if kept:
        stmt = (
            sa.update(edges)
            .where(edges.c.id == sa.bindparam("_id"))
            .values(
                last_seen=now,
                kind=sa.bindparam("kind"),
                confidence=sa.bindparam("confidence"),
                statement=sa.bindparam("statement"),
            )
        )
        conn.execute(
            stmt,
            [
                {
                    "_id": existing[k],
                    "kind": e.get("kind"),
                    "confidence": e.get("confidence", 1.0),
                    "statement": e.get("statement"),
                }
                for k, e in wanted.items()
                if k in existing
            ],
        )
    rows = [
        {
            "source_id": k[0],
            "target_id": k[1],
            "level": k[2],
            "kind": e.get("kind"),
            "confidence": e.get("confidence", 1.0),
            "origin": origin,
            "origin_key": origin_key,
            "statement": e.get("statement"),
            "created_by": actor,
            "first_seen": now,
            "last_seen": now,
        }
        for k, e in wanted.items()
        if k not in existing
    ]
    if rows:
        conn.execute(sa.insert(edges), rows)
    return len(rows), len(kept), len(gone)


def origin_keys(conn: Connection, origin: str, prefix: str) -> list[str]:
    query = sa.select(edges.c.origin_key).where(
        edges.c.origin == origin, edges.c.origin_key.like(prefix + "%")
    )
    return sorted({r[0] for r in conn.execute(query.distinct())})


def delete_origin(conn: Connection, origin: str, origin_key: str) -> int:
    result = conn.execute(
        sa.delete(edges).where(edges.c.origin == origin, edges.c.origin_key == origin_key)
    )
    return int(result.rowcount)


def _neighbours_query(near: Any, far: Any) -> sa.Select[Any]:
    return (
        sa.select(
            edges.c.id,
            edges.c.source_id,
            edges.c.target_id,
            edges.c.kind,
            edges.c.confidence,
            edges.c.origin,
        )
        .join(_FAR_ASSET, _FAR_ASSET.c.id == far)
        .where(near.in_(sa.bindparam("ids", expanding=True)))
        .where(edges.c.level == sa.bindparam("level"))
        .where(_FAR_ASSET.c.deleted_at.is_(None))
    )


# built once (issue 20): a lineage read runs one per hop and direction, and building the
# statement (and its cache key) cost more than running it
_NEIGHBOURS = {
    "downstream": _neighbours_query(edges.c.source_id, edges.c.target_id),
    "upstream": _neighbours_query(edges.c.target_id, edges.c.source_id),
}


def neighbours(
    conn: Connection, ids: Sequence[int], direction: str, level: str
) -> list[dict[str, Any]]:
    """Edges leaving (downstream) or entering (upstream) ``ids`` at ``level``, live ends only."""
    query = _NEIGHBOURS["downstream" if direction == "downstream" else "upstream"]
    out: list[dict[str, Any]] = []
    for i in range(0, len(ids), _CHUNK):
        params = {"ids": list(ids[i : i + _CHUNK]), "level": level}
        out += [dict(r) for r in conn.execute(query, params).mappings()]
    return out


def edge(conn: Connection, edge_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(edges).where(edges.c.id == edge_id)).mappings().first()
    return dict(row) if row else None


def delete_edge(conn: Connection, edge_id: int) -> int:
    return int(conn.execute(sa.delete(edges).where(edges.c.id == edge_id)).rowcount)


def count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(edges)).scalar_one())
