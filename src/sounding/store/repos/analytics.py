"""Read-only aggregates over the catalog for analytics dashboards and Prometheus metrics.

"Objects" are live (not deleted) tables, views and datasets. Usage and facts found on a
column (a classification, a lineage edge, a view) count for its table. The features read
their own tables (``features/<name>/analytics.py``) with the helpers here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables import assets, discovery_events, scan_runs, sources
from sounding.store.tables_lineage import lineage_edges
from sounding.store.tables_orchestration import executions, task_attempts
from sounding.store.tables_scanning import classifications

OBJECTS = ("table", "view", "dataset")
LIVE = assets.c.deleted_at.is_(None)
IS_OBJECT = sa.and_(LIVE, assets.c.type.in_(OBJECTS))


def _rolled_id(table: sa.FromClause) -> sa.ColumnElement[Any]:
    """A column stands for its table (a literal, so GROUP BY sees the same expression)."""
    is_column = table.c.type == sa.literal_column("'column'")
    return sa.case((is_column, table.c.parent_id), else_=table.c.id)


ROLLED_ID = _rolled_id(assets)


def counts_by_type(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        sa.select(assets.c.type, sa.func.count()).where(LIVE).group_by(assets.c.type)
    )
    return {str(t): int(n) for t, n in rows}


def objects_by_source(conn: Connection) -> list[dict[str, Any]]:
    join = sources.outerjoin(
        assets,
        sa.and_(assets.c.source_id == sources.c.id, LIVE, assets.c.type.in_(OBJECTS)),
    )
    rows = conn.execute(
        sa.select(sources.c.name, sa.func.count(assets.c.id))
        .select_from(join)
        .group_by(sources.c.name)
        .order_by(sources.c.name)
    )
    return [{"source": name, "count": int(n)} for name, n in rows]


def objects_by_domain(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(assets.c.domain, sa.func.count()).where(IS_OBJECT).group_by(assets.c.domain)
    )
    out = [{"domain": d, "count": int(n)} for d, n in rows]
    return sorted(out, key=lambda r: (r["domain"] is None, r["domain"] or ""))


def _filled(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.and_(column.isnot(None), sa.func.trim(column) != "")


# built once: aliasing the wide assets table makes a proxy per column (~2 ms a call)
_INNER = assets.alias("inner_assets")
_INNER_ROLLED = _rolled_id(_INNER)


def _among(asset_ids: sa.Select[Any]) -> sa.Select[Any]:
    """How many objects are in ``asset_ids`` or have a column in it."""
    rolled = sa.select(_INNER_ROLLED).where(_INNER.c.id.in_(asset_ids))
    return sa.select(sa.func.count()).select_from(assets).where(IS_OBJECT, assets.c.id.in_(rolled))


def _count(*where: Any) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(assets).where(IS_OBJECT, *where)


def _core_coverage() -> dict[str, sa.Select[Any]]:
    labelled = sa.select(classifications.c.asset_id).where(classifications.c.status != "rejected")
    ends = sa.union(
        sa.select(lineage_edges.c.source_id.label("asset_id")),
        sa.select(lineage_edges.c.target_id.label("asset_id")),
    ).subquery()
    return {
        "total": _count(),
        "described": _count(_filled(assets.c.description)),
        "owned": _count(_filled(assets.c.owner)),
        "classified": _among(labelled),
        "with_lineage": _among(sa.select(ends.c.asset_id)),
    }


# the home page and the analytics dashboard count these on every view: built once (building
# the nine statements, and SQLAlchemy keying each new one for its cache, was over half of
# overview.home's time: p50 9.9 -> 4.2 ms on the demo)
_CORE_COVERAGE = _core_coverage()
_FEATURE_COVERAGE: dict[str, sa.Select[Any]] = {}


def coverage_counts(
    conn: Connection, more: Mapping[str, Callable[[], sa.Select[Any]]] | None = None
) -> dict[str, int]:
    """Objects in total, described, owned, classified (a label not rejected on it or a
    column), with lineage (an edge to or from it or one of its columns), and among the
    assets each of ``more`` selects (the features' figures, e.g. with quality rules: a
    feature's ``CoverageQuery.asset_ids``, called once per process and key)."""
    queries = dict(_CORE_COVERAGE)
    for key, asset_ids in (more or {}).items():
        query = _FEATURE_COVERAGE.get(key)
        if query is None:
            query = _FEATURE_COVERAGE[key] = _among(asset_ids())
        queries[key] = query
    return {key: int(conn.execute(query).scalar_one()) for key, query in queries.items()}


def utc_day(conn: Connection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite keeps UTC timestamps as text


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def schema_changes(conn: Connection, since: datetime, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(
            discovery_events.c.created_at.label("at"),
            discovery_events.c.diff,
            discovery_events.c.scan_run_id,
            assets.c.id,
            assets.c.urn,
            assets.c.qualified_name,
            assets.c.type,
        )
        .join(assets, assets.c.id == discovery_events.c.asset_id)
        .where(
            discovery_events.c.event_type == "schema_changed",
            discovery_events.c.created_at >= since,
        )
        .order_by(discovery_events.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in rows.mappings()]


def count_by(conn: Connection, column: sa.Column[Any]) -> dict[str, int]:
    """Rows of ``column``'s table per value of ``column`` (for status gauges)."""
    rows = conn.execute(sa.select(column, sa.func.count()).group_by(column))
    return {str(v): int(n) for v, n in rows}


def status_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Scans, workflow executions and task attempts per status."""
    return {
        "scans": count_by(conn, scan_runs.c.status),
        "executions": count_by(conn, executions.c.status),
        "task_attempts": count_by(conn, task_attempts.c.status),
    }
