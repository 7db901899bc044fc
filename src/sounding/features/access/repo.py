"""Queries of the access tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.access.tables import access_policies as policies
from sounding.features.access.tables import access_state

# the accounts feature owns ``users``; policies only read a user's id and name
_users = sa.table("users", sa.column("id"), sa.column("name"))


def _select() -> Any:
    return sa.select(*policies.c, _users.c.name.label("user")).join(
        _users, _users.c.id == policies.c.user_id
    )


def user_id(conn: Connection, name: str) -> int | None:
    found = conn.execute(sa.select(_users.c.id).where(_users.c.name == name)).scalar()
    return None if found is None else int(found)


def find(conn: Connection, user_id: int, kind: str, name: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            _select().where(
                policies.c.user_id == user_id,
                policies.c.scope_kind == kind,
                policies.c.scope_name == name,
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def get(conn: Connection, policy_id: int) -> dict[str, Any] | None:
    row = conn.execute(_select().where(policies.c.id == policy_id)).mappings().first()
    return dict(row) if row else None


def insert(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(sa.insert(policies).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def delete(conn: Connection, policy_id: int) -> int:
    return conn.execute(sa.delete(policies).where(policies.c.id == policy_id)).rowcount


def list_policies(
    conn: Connection,
    limit: int,
    offset: int,
    user: str | None = None,
    scope_kind: str | None = None,
    scope_name: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    query = _select()
    count = sa.select(sa.func.count()).select_from(
        policies.join(_users, _users.c.id == policies.c.user_id)
    )
    for column, value in (
        (_users.c.name, user),
        (policies.c.scope_kind, scope_kind),
        (policies.c.scope_name, scope_name),
    ):
        if value is not None:
            query, count = query.where(column == value), count.where(column == value)
    total = int(conn.execute(count).scalar_one())
    order = (_users.c.name, policies.c.scope_kind, policies.c.scope_name, policies.c.id)
    rows = conn.execute(query.order_by(*order).limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows], total


def grant_rows(conn: Connection) -> list[tuple[int, int, str, str, str, bool]]:
    """Every policy as (id, user_id, role, scope_kind, scope_name, unmasked): plain tuples,
    what the per-process cache is built from (no mapping per row: it is read whole)."""
    query = sa.select(
        policies.c.id,
        policies.c.user_id,
        policies.c.role,
        policies.c.scope_kind,
        policies.c.scope_name,
        policies.c.unmasked,
    ).order_by(policies.c.id)
    return [
        (int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), bool(r[5]))
        for r in conn.execute(query)
    ]


def generation(conn: Connection) -> int:
    """The store's policy generation (0 before any change)."""
    found = conn.execute(
        sa.select(access_state.c.generation).where(access_state.c.id == 1)
    ).scalar()
    return int(found or 0)


def bump(conn: Connection) -> None:
    """Raise the generation (with the change, in its transaction)."""
    done = conn.execute(
        sa.update(access_state)
        .where(access_state.c.id == 1)
        .values(generation=access_state.c.generation + 1)
    ).rowcount
    if not done:
        conn.execute(sa.insert(access_state).values(id=1, generation=1))
