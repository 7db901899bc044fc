"""Assets, their tags and discovery events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.paging import Key, SortOrder
from sounding.store.paging import seek
from sounding.store.repos import bulk, utcnow
from sounding.store.tables import asset_tags, assets, discovery_events, sources

_CHUNK = 500
# what discovery compares; loaded for every asset of a source at the start of a scan
INDEX_COLUMNS = (
    "name",
    "data_type",
    "nullable",
    "ordinal",
    "default_value",
    "is_primary_key",
    "foreign_keys",
    "view_sql",
    "source_properties",
    "row_count",
    "row_count_exact",
    "size_bytes",
    "fingerprint",
)


@dataclass(frozen=True)
class IndexRow:
    id: int
    urn: str
    type: str
    parent_id: int | None
    deleted: bool
    fields: dict[str, Any]


LIGHT_COLUMNS = ("name", "fingerprint")


def _index_rows(conn: Connection, where: Any, names: Sequence[str]) -> list[IndexRow]:
    cols = [assets.c[name] for name in names]
    query = sa.select(
        assets.c.id, assets.c.urn, assets.c.type, assets.c.parent_id, assets.c.deleted_at, *cols
    ).where(where)
    out = []
    for row in conn.execute(query):
        m = row._mapping
        out.append(
            IndexRow(
                m["id"],
                m["urn"],
                m["type"],
                m["parent_id"],
                m["deleted_at"] is not None,
                {name: m[name] for name in names},
            )
        )
    return out


def load_index(conn: Connection, source_id: int) -> list[IndexRow]:
    """Every non-column asset of a source with only what decides whether to look closer.

    Columns are loaded with ``load_full`` for the objects that changed, failed or vanished.
    """
    where = sa.and_(assets.c.source_id == source_id, assets.c.type != "column")
    return _index_rows(conn, where, LIGHT_COLUMNS)


def load_full(conn: Connection, object_ids: Sequence[int]) -> list[IndexRow]:
    """Objects and their columns with every field discovery compares."""
    out: list[IndexRow] = []
    for chunk in _chunks(object_ids):
        where = sa.or_(assets.c.id.in_(chunk), assets.c.parent_id.in_(chunk))
        out += _index_rows(conn, where, INDEX_COLUMNS)
    return out


def insert_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert asset rows (each with ``urn``, all with the same keys); returns urn -> id."""
    ids = bulk.insert_rows(conn, assets, rows, with_ids=True)
    return {row["urn"]: id_ for row, id_ in zip(rows, ids, strict=True)}


def update_many(conn: Connection, updates: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Apply ``(id, values)`` updates, batched by the set of columns they touch."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for asset_id, values in updates:
        key = tuple(sorted(values))
        groups.setdefault(key, []).append({"_id": asset_id, **values})
    for key, params in groups.items():
        stmt = (
            sa.update(assets)
            .where(assets.c.id == sa.bindparam("_id"))
            .values({k: sa.bindparam(k) for k in key})
        )
        conn.execute(stmt, params)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def set_deleted(conn: Connection, ids: Sequence[int], when: datetime | None) -> None:
    for chunk in _chunks(ids):
        conn.execute(sa.update(assets).where(assets.c.id.in_(chunk)).values(deleted_at=when))


def touch_seen(conn: Connection, source_id: int, when: datetime, exclude: Sequence[int]) -> None:
    """Every live asset of the source was seen now, but for ``exclude`` (failed objects)."""
    query = sa.update(assets).where(assets.c.source_id == source_id, assets.c.deleted_at.is_(None))
    if exclude:
        query = query.where(assets.c.id.not_in(list(exclude)))
    # seen again is no change: the revision (ETag) stays
    conn.execute(query.values(last_seen=when, row_version=assets.c.row_version))


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert discovery events (all with the same keys)."""
    bulk.insert_rows(conn, discovery_events, rows, with_ids=False)


# built once (issue 20): the asset page's statements run on every read, and building them
# and their cache keys each time cost more than the queries
_EVENTS_FOR = (
    sa.select(discovery_events)
    .where(discovery_events.c.asset_id == sa.bindparam("asset_id"))
    .order_by(discovery_events.c.id.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer))
)


def events_for(conn: Connection, asset_id: int, limit: int = 20) -> list[dict[str, Any]]:
    rows = conn.execute(_EVENTS_FOR, {"asset_id": asset_id, "limit": limit})
    return [dict(r) for r in rows.mappings()]


EVENT_ORDER = SortOrder(("id",))
ASSET_ORDER = SortOrder(("qualified_name", "id"))


def events_for_scan(
    conn: Connection, scan_run_id: int, limit: int, offset: int, after: Key | None = None
) -> tuple[list[dict[str, Any]], int]:
    base = (
        sa.select(discovery_events, assets.c.urn)
        .join(assets, assets.c.id == discovery_events.c.asset_id)
        .where(discovery_events.c.scan_run_id == scan_run_id)
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    rows = conn.execute(seek(base, EVENT_ORDER, [discovery_events.c.id], limit, offset, after))
    return [dict(r) for r in rows.mappings()], int(total)


@dataclass(frozen=True)
class AssetFilter:
    source_id: int | None = None
    type: str | None = None
    parent_id: int | None = None
    q: str | None = None  # name prefix (case-insensitive), or qualified-name substring
    tag: str | None = None
    include_deleted: bool = False
    domain: str | None = None


def _select_public() -> sa.Select[Any]:
    return sa.select(assets, sources.c.name.label("source")).join(
        sources, sources.c.id == assets.c.source_id
    )


def _apply_filter(query: sa.Select[Any], f: AssetFilter) -> sa.Select[Any]:
    if f.source_id is not None:
        query = query.where(assets.c.source_id == f.source_id)
    if f.type:
        query = query.where(assets.c.type == f.type)
    if f.parent_id is not None:
        query = query.where(assets.c.parent_id == f.parent_id)
    if f.q:
        raw = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle = raw.lower()
        query = query.where(
            sa.or_(
                assets.c.name.like(raw + "%", escape="\\"),
                sa.func.lower(assets.c.name).like(needle + "%", escape="\\"),
                sa.func.lower(assets.c.qualified_name).like("%" + needle + "%", escape="\\"),
            )
        )
    if f.tag:
        query = query.where(
            assets.c.id.in_(sa.select(asset_tags.c.asset_id).where(asset_tags.c.tag == f.tag))
        )
    if f.domain is not None:
        query = query.where(assets.c.domain == f.domain)
    if not f.include_deleted:
        query = query.where(assets.c.deleted_at.is_(None))
    return query


def list_assets(
    conn: Connection, f: AssetFilter, limit: int, offset: int, after: Key | None = None
) -> tuple[list[dict[str, Any]], int]:
    count_q = _apply_filter(sa.select(sa.func.count()).select_from(assets), f)
    total = conn.execute(count_q).scalar_one()
    query = _apply_filter(_select_public(), f)
    columns = [assets.c.qualified_name, assets.c.id]
    rows = conn.execute(seek(query, ASSET_ORDER, columns, limit, offset, after)).mappings()
    return [dict(r) for r in rows], int(total)


_GET_BY_ID = _select_public().where(assets.c.id == sa.bindparam("key"))
_GET_BY_URN = _select_public().where(assets.c.urn == sa.bindparam("key"))
_CHILDREN_ALL = (
    _select_public()
    .where(assets.c.parent_id == sa.bindparam("asset_id"))
    .order_by(assets.c.ordinal, assets.c.name)
)
_CHILDREN_LIVE = (
    _select_public()
    .where(assets.c.parent_id == sa.bindparam("asset_id"), assets.c.deleted_at.is_(None))
    .order_by(assets.c.ordinal, assets.c.name)
)


def get(
    conn: Connection, asset_id: int | None = None, urn: str | None = None
) -> dict[str, Any] | None:
    query, key = (_GET_BY_ID, asset_id) if asset_id is not None else (_GET_BY_URN, urn)
    row = conn.execute(query, {"key": key}).mappings().first()
    return dict(row) if row else None


def children(
    conn: Connection, asset_id: int, include_deleted: bool = False
) -> list[dict[str, Any]]:
    query = _CHILDREN_ALL if include_deleted else _CHILDREN_LIVE
    return [dict(r) for r in conn.execute(query, {"asset_id": asset_id}).mappings()]


def child_ids(conn: Connection, asset_id: int) -> list[int]:
    """Ids of the live children of an asset, in ``children``'s order."""
    query = (
        sa.select(assets.c.id)
        .where(assets.c.parent_id == asset_id, assets.c.deleted_at.is_(None))
        .order_by(assets.c.ordinal, assets.c.name)
    )
    return [int(r[0]) for r in conn.execute(query)]


SUMMARY_FIELDS = (
    "id",
    "urn",
    "name",
    "type",
    "ordinal",
    "data_type",
    "nullable",
    "is_primary_key",
    "description",
    "source_properties",
)


def child_summaries(conn: Connection, asset_id: int) -> list[dict[str, Any]]:
    """The live children of an asset with only what a list of them shows: a 1,000-column
    table's columns without their timestamps and curated lists (a fraction of the decoding)."""
    query = (
        sa.select(*(assets.c[f] for f in SUMMARY_FIELDS))
        .where(assets.c.parent_id == asset_id, assets.c.deleted_at.is_(None))
        .order_by(assets.c.ordinal, assets.c.name)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def update_curated(conn: Connection, asset_id: int, values: dict[str, Any]) -> None:
    tags = values.get("tags")
    conn.execute(
        sa.update(assets).where(assets.c.id == asset_id).values(**values, updated_at=utcnow())
    )
    if tags is not None:
        conn.execute(sa.delete(asset_tags).where(asset_tags.c.asset_id == asset_id))
        if tags:
            conn.execute(sa.insert(asset_tags), [{"asset_id": asset_id, "tag": t} for t in tags])


def tags_for_update(conn: Connection, asset_id: int) -> list[str]:
    """The asset's stored tags, its row locked until the transaction ends (PostgreSQL; a
    SQLite write transaction excludes other writers already): add/remove edits apply to
    the list as it is now, never to one a concurrent edit has replaced."""
    query = sa.select(assets.c.tags).where(assets.c.id == asset_id).with_for_update()
    return list(conn.execute(query).scalar_one_or_none() or [])


def touch(conn: Connection, asset_id: int) -> None:
    """Mark the asset changed (a new revision) when something shown with it changed, such as
    the glossary terms linked to it."""
    conn.execute(sa.update(assets).where(assets.c.id == asset_id).values(updated_at=utcnow()))


def count_by_type(conn: Connection, source_id: int) -> dict[str, int]:
    query = (
        sa.select(assets.c.type, sa.func.count())
        .where(assets.c.source_id == source_id, assets.c.deleted_at.is_(None))
        .group_by(assets.c.type)
    )
    return {t: int(n) for t, n in conn.execute(query)}


_GET_MANY = _select_public().where(assets.c.id.in_(sa.bindparam("ids", expanding=True)))


def get_many(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in _chunks(list(ids)):
        rows = conn.execute(_GET_MANY, {"ids": list(chunk)}).mappings()
        out += [dict(r) for r in rows]
    return out


# what ``objects_of`` and ``object_with_columns`` give of an object and of each of its columns
_OBJECT_FIELDS = (
    assets.c.id,
    assets.c.parent_id,
    assets.c.type,
    assets.c.name,
    assets.c.qualified_name,
    assets.c.urn,
    assets.c.fingerprint,
    assets.c.data_type,
    assets.c.nullable,
    assets.c.ordinal,
)


def objects_of(conn: Connection, source_id: int) -> list[dict[str, Any]]:
    """Live tables, views and datasets of a source with their columns (name, type, id)."""
    query = sa.select(*_OBJECT_FIELDS).where(
        assets.c.source_id == source_id, assets.c.deleted_at.is_(None)
    )
    rows = [dict(r) for r in conn.execute(query).mappings()]
    objects = {
        r["id"]: {**r, "columns": []} for r in rows if r["type"] in ("table", "view", "dataset")
    }
    for r in rows:
        if r["type"] == "column" and r["parent_id"] in objects:
            objects[r["parent_id"]]["columns"].append(r)
    for obj in objects.values():
        obj["columns"].sort(key=lambda c: (c["ordinal"] or 0, c["name"]))
    return sorted(objects.values(), key=lambda o: o["qualified_name"])


def object_with_columns(conn: Connection, asset_id: int) -> dict[str, Any] | None:
    """One table, view or dataset in the shape of ``objects_of`` items."""
    select = sa.select(*_OBJECT_FIELDS)
    row = conn.execute(select.where(assets.c.id == asset_id)).mappings().first()
    if row is None:
        return None
    live = select.where(assets.c.parent_id == asset_id, assets.c.deleted_at.is_(None))
    children = conn.execute(live.order_by(assets.c.ordinal, assets.c.name)).mappings()
    return {**dict(row), "columns": [dict(c) for c in children]}


def columns_of(conn: Connection, parent_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Live columns (id, name) of each parent, in position order."""
    out: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(list(parent_ids)):
        query = (
            sa.select(assets.c.id, assets.c.parent_id, assets.c.name)
            .where(
                assets.c.parent_id.in_(chunk),
                assets.c.type == "column",
                assets.c.deleted_at.is_(None),
            )
            .order_by(assets.c.parent_id, assets.c.ordinal)
        )
        for row in conn.execute(query).mappings():
            out.setdefault(row["parent_id"], []).append(dict(row))
    return out


def all_ids(conn: Connection, after: int, limit: int) -> list[int]:
    query = sa.select(assets.c.id).where(assets.c.id > after).order_by(assets.c.id).limit(limit)
    return [int(r[0]) for r in conn.execute(query)]


def nearest_domain(conn: Connection, parent_id: int | None, depth: int = 8) -> str | None:
    """The domain of an asset's nearest ancestor that has one (one primary-key read per level
    climbed, at most ``depth``: a column's table answers at once)."""
    while parent_id is not None and depth > 0:
        row = conn.execute(
            sa.select(assets.c.parent_id, assets.c.domain).where(assets.c.id == parent_id)
        ).first()
        if row is None:
            return None
        if row.domain:
            return str(row.domain)
        parent_id, depth = row.parent_id, depth - 1
    return None


def delete_many(conn: Connection, ids: Sequence[int]) -> None:
    """Delete assets for good (their tags, events and lineage edges go with them by cascade):
    only assets created by hand are ever deleted this way."""
    for chunk in _chunks(list(ids)):
        conn.execute(sa.delete(asset_tags).where(asset_tags.c.asset_id.in_(chunk)))
        conn.execute(sa.delete(assets).where(assets.c.id.in_(chunk)))
