"""Breaking discovery events, the lineage below them, and the impact kept for each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables import assets, discovery_events, scan_runs, sources
from sounding.store.tables_changes import change_impacts
from sounding.store.tables_lineage import lineage_edges as edges

_CHUNK = 500
CHANGED_TYPES = ("table", "view", "dataset", "column")

_parent = assets.alias("parent")
# as text: most are ordinal shifts, told by a substring without decoding them
_DIFF_TEXT = sa.cast(discovery_events.c.diff, sa.Text)

_EVENT_FIELDS = (
    discovery_events.c.id.label("event_id"),
    discovery_events.c.scan_run_id,
    discovery_events.c.event_type,
    _DIFF_TEXT.label("diff_text"),
    discovery_events.c.created_at,
    assets.c.id.label("asset_id"),
    assets.c.parent_id,
    assets.c.urn,
    assets.c.name,
    assets.c.qualified_name,
    assets.c.type,
    assets.c.data_type,
    assets.c.ordinal,
    assets.c.owner,
    sources.c.name.label("source"),
    # an event's context (:func:`sounding.store.repos.events.asset_context`): the asset's
    # domain, else its table's, so publishing a change's event need not read it again
    sa.func.coalesce(assets.c.domain, _parent.c.domain).label("domain"),
)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    items = list(ids)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _events(schema_keys: Sequence[str]) -> sa.Select[Any]:
    """Breaking events that may be changes: every deletion, and a column's ``schema_changed``
    whose diff names one of ``schema_keys`` (a superset: the caller decodes the diff). A
    dropped column shifts the ordinal of every column after it, so most events are left
    here rather than read and skipped."""
    named = [_DIFF_TEXT.like(f'%"{key}"%') for key in schema_keys]
    return (
        sa.select(*_EVENT_FIELDS)
        .join(assets, assets.c.id == discovery_events.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
        .outerjoin(_parent, _parent.c.id == assets.c.parent_id)
        .where(
            assets.c.type.in_(CHANGED_TYPES),
            sa.or_(
                discovery_events.c.event_type == "deleted",
                sa.and_(
                    discovery_events.c.event_type == "schema_changed",
                    assets.c.type == "column",
                    sa.or_(*named),
                ),
            ),
        )
    )


def scans_since(conn: Connection, since: datetime, source_id: int | None) -> list[int]:
    """Scan runs that may have recorded events at or after ``since`` (not ended before it)."""
    query = sa.select(scan_runs.c.id).where(
        sa.or_(scan_runs.c.finished_at.is_(None), scan_runs.c.finished_at >= since)
    )
    if source_id is not None:
        query = query.where(scan_runs.c.source_id == source_id)
    return [int(r[0]) for r in conn.execute(query)]


def breaking_events(
    conn: Connection,
    scan_ids: Sequence[int],
    schema_keys: Sequence[str],
    since: datetime | None = None,
) -> Iterator[Mapping[str, Any]]:
    """Breaking events of these scans, newest first (streamed: the caller stops early), as
    read-only rows: most are ordinal shifts the caller skips, so it copies only those it
    keeps."""
    for chunk in _chunks(sorted(scan_ids, reverse=True)):
        query = _events(schema_keys).where(discovery_events.c.scan_run_id.in_(chunk))
        if since is not None:
            query = query.where(discovery_events.c.created_at >= since)
        query = query.order_by(discovery_events.c.created_at.desc(), discovery_events.c.id.desc())
        yield from cast(Sequence[Mapping[str, Any]], conn.execute(query).mappings().all())


def table_changes(conn: Connection, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """The diff of each (scan run, table) ``schema_changed`` event: added and removed columns."""
    out: dict[tuple[int, int], Any] = {}
    by_scan: dict[int, list[int]] = {}
    for scan_id, table_id in pairs:
        by_scan.setdefault(scan_id, []).append(table_id)
    for scan_id, tables in by_scan.items():
        for chunk in _chunks(tables):
            query = sa.select(discovery_events.c.asset_id, discovery_events.c.diff).where(
                discovery_events.c.scan_run_id == scan_id,
                discovery_events.c.event_type == "schema_changed",
                discovery_events.c.asset_id.in_(chunk),
            )
            for asset_id, diff in conn.execute(query):
                out[(scan_id, int(asset_id))] = diff or {}
    return out


def live_columns(conn: Connection, table_ids: Sequence[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in _chunks(table_ids):
        query = sa.select(
            assets.c.parent_id, assets.c.name, assets.c.data_type, assets.c.ordinal
        ).where(
            assets.c.parent_id.in_(chunk),
            assets.c.type == "column",
            assets.c.deleted_at.is_(None),
        )
        out += [dict(r) for r in conn.execute(query).mappings()]
    return out


def scan_started(conn: Connection, scan_id: int) -> datetime | None:
    query = sa.select(sa.func.coalesce(scan_runs.c.started_at, scan_runs.c.created_at))
    value = conn.execute(query.where(scan_runs.c.id == scan_id)).scalar()
    return value if isinstance(value, datetime) else None


def with_edges(conn: Connection, ids: Sequence[int], level: str) -> set[int]:
    """Which of ``ids`` have an edge leaving them at ``level``."""
    out: set[int] = set()
    for chunk in _chunks(ids):
        query = sa.select(edges.c.source_id).where(
            edges.c.source_id.in_(chunk), edges.c.level == level
        )
        out |= {int(r[0]) for r in conn.execute(query.distinct())}
    return out


def downstream_edges(
    conn: Connection, ids: Sequence[int], level: str, gone_since: datetime | None
) -> list[dict[str, Any]]:
    """Edges leaving ``ids`` at ``level`` to live assets, or to assets deleted at or after
    ``gone_since`` (by the scan that made the change: a view that lost the column too)."""
    far = assets.alias("far")
    alive: sa.ColumnElement[bool] = far.c.deleted_at.is_(None)
    if gone_since is not None:
        alive = sa.or_(alive, far.c.deleted_at >= gone_since)
    out: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        query = (
            sa.select(edges.c.id, edges.c.source_id, edges.c.target_id)
            .join(far, far.c.id == edges.c.target_id)
            .where(edges.c.source_id.in_(chunk), edges.c.level == level, alive)
        )
        out += [dict(r) for r in conn.execute(query).mappings()]
    return out


def save(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    ids = [r["event_id"] for r in rows]
    for chunk in _chunks(ids):
        conn.execute(sa.delete(change_impacts).where(change_impacts.c.event_id.in_(chunk)))
    conn.execute(sa.insert(change_impacts), list(rows))


def recorded(conn: Connection, event_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(event_ids):
        query = sa.select(change_impacts).where(change_impacts.c.event_id.in_(chunk))
        out |= {int(r["event_id"]): dict(r) for r in conn.execute(query).mappings()}
    return out


def assets_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Assets (deleted ones too) with the fields an impact shows."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = sa.select(
            assets.c.id,
            assets.c.parent_id,
            assets.c.urn,
            assets.c.name,
            assets.c.qualified_name,
            assets.c.type,
            assets.c.owner,
            assets.c.deleted_at,
        ).where(assets.c.id.in_(chunk))
        out |= {int(r["id"]): dict(r) for r in conn.execute(query).mappings()}
    return out
