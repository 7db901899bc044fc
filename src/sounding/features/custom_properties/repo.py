"""Storage of property definitions, and the reads of assets and users they check against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.custom_properties.tables import property_definitions as defs
from sounding.store.repos import utcnow
from sounding.store.tables import assets

# the accounts feature owns ``users``; a ``user`` property only reads the names
_users = sa.table("users", sa.column("name"))


def list_defs(
    conn: Connection, limit: int, offset: int, asset_type: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    rows = [dict(r) for r in conn.execute(sa.select(defs).order_by(defs.c.name)).mappings()]
    if asset_type is not None:
        rows = [r for r in rows if not r["asset_types"] or asset_type in r["asset_types"]]
    return rows[offset : offset + limit], len(rows)


def all_defs(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(defs).order_by(defs.c.name)).mappings()]


def get(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(defs).where(defs.c.name == name)).mappings().first()
    return dict(row) if row else None


def insert(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(defs).values(dict(values)).returning(defs.c.id))
    return int(result.scalar_one())


def update(conn: Connection, def_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(defs).where(defs.c.id == def_id).values(dict(values)))


def delete(conn: Connection, def_id: int) -> None:
    conn.execute(sa.delete(defs).where(defs.c.id == def_id))


def user_exists(conn: Connection, name: str) -> bool:
    return conn.execute(sa.select(_users.c.name).where(_users.c.name == name)).first() is not None


def holders(conn: Connection, name: str) -> dict[int, dict[str, Any]]:
    """The assets holding a value for property ``name``: id -> their custom properties
    (read in Python: JSON key look-ups differ between the supported databases)."""
    query = sa.select(assets.c.id, assets.c.custom_properties).where(
        assets.c.custom_properties.is_not(None)
    )
    return {
        r.id: dict(r.custom_properties)
        for r in conn.execute(query)
        if isinstance(r.custom_properties, dict) and name in r.custom_properties
    }


def set_properties(conn: Connection, asset_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(
        sa.update(assets)
        .where(assets.c.id == asset_id)
        .values(custom_properties=dict(values), updated_at=utcnow())
    )
