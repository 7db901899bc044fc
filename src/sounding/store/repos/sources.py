"""Data sources."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.repos import utcnow
from sounding.store.tables import assets, sources


def insert(conn: Connection, values: dict[str, Any]) -> int:
    now = utcnow()
    result = conn.execute(
        sa.insert(sources).values(**values, created_at=now, updated_at=now).returning(sources.c.id)
    )
    return int(result.scalar_one())


def get_by_name(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(sources).where(sources.c.name == name)).mappings().first()
    return dict(row) if row else None


def get_by_id(conn: Connection, source_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(sources).where(sources.c.id == source_id)).mappings().first()
    return dict(row) if row else None


def list_all(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(sa.select(sa.func.count()).select_from(sources)).scalar_one()
    rows = conn.execute(
        sa.select(sources).order_by(sources.c.name).limit(limit).offset(offset)
    ).mappings()
    return [dict(r) for r in rows], int(total)


def names_by_id(conn: Connection) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(sa.select(sources.c.id, sources.c.name))}


def update(conn: Connection, source_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        sa.update(sources).where(sources.c.id == source_id).values(**values, updated_at=utcnow())
    )


def delete(conn: Connection, source_id: int) -> None:
    conn.execute(sa.delete(sources).where(sources.c.id == source_id))


SORTS: dict[str, sa.ColumnElement[Any]] = {
    "name": sources.c.name,
    "kind": sources.c.kind,
    "last_scan": sources.c.last_scan_at,
}


def list_page(
    conn: Connection,
    limit: int,
    offset: int,
    *,
    q: str | None = None,
    kind: str | None = None,
    sort: str = "name",
    descending: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """One page of sources matching a name substring and a kind, ordered by ``sort`` (one of
    :data:`SORTS`; never scanned last either way), then by name."""
    query = sa.select(sources)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(sa.func.lower(sources.c.name).like(f"%{escaped}%", escape="\\"))
    if kind:
        query = query.where(sources.c.kind == kind)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    column = SORTS[sort]
    order: list[sa.ColumnElement[Any]] = [column.desc() if descending else column.asc()]
    if sort == "last_scan":
        order.insert(0, column.is_(None))  # never scanned last, in both directions
    if sort != "name":
        order.append(sources.c.name)
    rows = conn.execute(query.order_by(*order).limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows], int(total)


def kinds(conn: Connection) -> list[str]:
    return [str(k) for k in conn.execute(sa.select(sources.c.kind).distinct().order_by("kind"))]


def asset_counts(
    conn: Connection, source_ids: list[int], types: tuple[str, ...] | None = None
) -> dict[int, dict[str, int]]:
    """Live assets per source and type (only ``types`` when given), for the given sources:
    an index range per source and type, each row read to see that it is live."""
    if not source_ids:
        return {}
    query = sa.select(assets.c.source_id, assets.c.type, sa.func.count()).where(
        assets.c.source_id.in_(source_ids), assets.c.deleted_at.is_(None)
    )
    if types is not None:
        query = query.where(assets.c.type.in_(types))
    rows = conn.execute(query.group_by(assets.c.source_id, assets.c.type))
    out: dict[int, dict[str, int]] = {}
    for source_id, type_, count in rows:
        out.setdefault(int(source_id), {})[str(type_)] = int(count)
    return out
