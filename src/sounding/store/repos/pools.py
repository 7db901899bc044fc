"""Pools: named slot capacities workflow steps draw from. Rows come back as dicts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.repos import utcnow
from sounding.store.repos.orchestration import insert_or_ignore, to_utc
from sounding.store.tables_orchestration import pools


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["created_at"], out["updated_at"] = to_utc(out["created_at"]), to_utc(out["updated_at"])
    return out


def list_pools(conn: Connection) -> list[dict[str, Any]]:
    return [_row(r) for r in conn.execute(sa.select(pools).order_by(pools.c.name))]


def get(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(pools).where(pools.c.name == name)).first()
    return _row(row) if row is not None else None


def create(conn: Connection, name: str, slots: int, *, actor: str | None = None) -> bool:
    """False if a pool of that name exists already."""
    now = utcnow()
    values = {"name": name, "slots": slots, "created_at": now, "updated_at": now}
    return insert_or_ignore(conn, pools, {**values, "updated_by": actor})


def update(conn: Connection, name: str, slots: int, *, actor: str | None = None) -> bool:
    """False if there is no such pool."""
    stmt = (
        sa.update(pools)
        .where(pools.c.name == name)
        .values(slots=slots, updated_at=utcnow(), updated_by=actor)
    )
    return int(conn.execute(stmt).rowcount) == 1


def delete(conn: Connection, name: str) -> bool:
    return int(conn.execute(sa.delete(pools).where(pools.c.name == name)).rowcount) == 1
