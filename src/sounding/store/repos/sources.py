"""Data sources."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.repos import utcnow
from sounding.store.tables import sources


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
