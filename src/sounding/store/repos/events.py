"""The catalog event outbox's queries."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables import assets, sources
from sounding.store.tables_events import catalog_events


@functools.cache
def _asset_contexts_query() -> sa.Select[Any]:
    # built once: a fresh alias and select per event cost SQLAlchemy about 1 ms to build and
    # key for its cache; an expanding IN keeps one cached statement whatever the number of ids
    parent = assets.alias("parent")
    return (
        sa.select(
            assets.c.id,
            assets.c.urn,
            assets.c.type,
            assets.c.parent_id,
            sources.c.name.label("source"),
            sa.func.coalesce(assets.c.domain, parent.c.domain).label("domain"),
        )
        .join(sources, sources.c.id == assets.c.source_id)
        .outerjoin(parent, parent.c.id == assets.c.parent_id)
        .where(assets.c.id.in_(sa.bindparam("asset_ids", expanding=True)))
    )


CONTEXT_CHUNK = 500  # ids per IN list: under every backend's bound-parameter limit


def asset_context(conn: Connection, asset_id: int) -> Mapping[str, Any] | None:
    """What an event on an asset names besides it: its URN, source, table (a column's
    parent, else itself) and domain (its own, else its table's)."""
    return asset_contexts(conn, [asset_id]).get(asset_id)


def asset_contexts(conn: Connection, asset_ids: Iterable[int]) -> dict[int, Mapping[str, Any]]:
    """:func:`asset_context` of many assets in one query per 500 ids, by asset id."""
    ids = sorted(set(asset_ids))
    out: dict[int, Mapping[str, Any]] = {}
    for start in range(0, len(ids), CONTEXT_CHUNK):
        chunk = ids[start : start + CONTEXT_CHUNK]
        for row in conn.execute(_asset_contexts_query(), {"asset_ids": chunk}).mappings():
            out[int(row["id"])] = dict(row)
    return out


_INSERT = sa.insert(catalog_events)


def insert(conn: Connection, row: Mapping[str, Any]) -> int:
    # one statement, the values as parameters: ``.values(**row)`` made a new statement whose
    # cache key SQLAlchemy computed again for every event
    key = conn.execute(_INSERT, dict(row)).inserted_primary_key
    assert key is not None
    return int(key[0])


def insert_many(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many events in one executemany (their ids are not returned)."""
    if rows:
        conn.execute(_INSERT, [dict(r) for r in rows])


def after(conn: Connection, event_id: int, limit: int) -> list[dict[str, Any]]:
    query = (
        sa.select(catalog_events)
        .where(catalog_events.c.id > event_id)
        .order_by(catalog_events.c.id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def last_id(conn: Connection) -> int:
    return int(
        conn.execute(sa.select(sa.func.coalesce(sa.func.max(catalog_events.c.id), 0))).scalar_one()
    )
