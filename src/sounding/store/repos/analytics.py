"""Read-only aggregates over the catalog for analytics dashboards and Prometheus metrics.

"Objects" are live (not deleted) tables, views and datasets. Usage and facts found on a
column (a classification, a lineage edge, a view) count for its table. Quality and
compliance tables are read here too (read-only; their areas own the writes).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.compliance.tables import compliance_finding_events, compliance_findings
from sounding.features.quality.tables import quality_results, quality_rules, quality_scores
from sounding.features.usage.tables import asset_popularity, search_queries, usage_daily
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
ACTIVE_RULE_ASSETS = sa.select(quality_rules.c.asset_id).where(quality_rules.c.status == "active")


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


def _objects_among(conn: Connection, asset_ids: sa.Select[Any]) -> int:
    """How many objects are in ``asset_ids`` or have a column in it."""
    rolled = sa.select(_INNER_ROLLED).where(_INNER.c.id.in_(asset_ids))
    query = sa.select(sa.func.count()).select_from(assets).where(IS_OBJECT, assets.c.id.in_(rolled))
    return int(conn.execute(query).scalar_one())


def coverage_counts(conn: Connection) -> dict[str, int]:
    """Objects in total, described, owned, classified (a label not rejected on it or a
    column), with lineage (an edge to or from it or one of its columns) and with quality
    rules (at least one active rule)."""

    def count(*where: Any) -> int:
        query = sa.select(sa.func.count()).select_from(assets).where(IS_OBJECT, *where)
        return int(conn.execute(query).scalar_one())

    labelled = sa.select(classifications.c.asset_id).where(classifications.c.status != "rejected")
    ends = sa.union(
        sa.select(lineage_edges.c.source_id.label("asset_id")),
        sa.select(lineage_edges.c.target_id.label("asset_id")),
    ).subquery()
    return {
        "total": count(),
        "described": count(_filled(assets.c.description)),
        "owned": count(_filled(assets.c.owner)),
        "classified": _objects_among(conn, labelled),
        "with_lineage": _objects_among(conn, sa.select(ends.c.asset_id)),
        "with_quality_rules": _objects_among(conn, ACTIVE_RULE_ASSETS),
    }


def usage_per_object(conn: Connection, since: date) -> dict[int, dict[str, int]]:
    """Per live object: its uses since ``since`` by kind, its columns' included."""
    rolled = ROLLED_ID.label("object_id")
    rows = conn.execute(
        sa.select(rolled, usage_daily.c.kind, sa.func.sum(usage_daily.c.count))
        .join(assets, assets.c.id == usage_daily.c.asset_id)
        .where(usage_daily.c.day >= since)
        .group_by(rolled, usage_daily.c.kind)
    )
    out: dict[int, dict[str, int]] = {}
    for object_id, kind, n in rows:
        if object_id is not None:
            out.setdefault(int(object_id), {})[str(kind)] = int(n)
    return out


def objects(conn: Connection, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Live objects (all, or these ids) with their source and popularity, by qualified name."""
    query = (
        sa.select(
            assets.c.id,
            assets.c.urn,
            assets.c.name,
            assets.c.qualified_name,
            assets.c.type,
            assets.c.owner,
            sources.c.name.label("source"),
            sa.func.coalesce(asset_popularity.c.score, 0.0).label("popularity"),
        )
        .join(sources, sources.c.id == assets.c.source_id)
        .outerjoin(asset_popularity, asset_popularity.c.asset_id == assets.c.id)
        .where(IS_OBJECT)
        .order_by(sources.c.name, assets.c.qualified_name)
    )
    if ids is not None:
        query = query.where(assets.c.id.in_(ids))
    return [dict(r) for r in conn.execute(query).mappings()]


def usage_per_day(conn: Connection, since: date) -> dict[tuple[date, str], int]:
    rows = conn.execute(
        sa.select(usage_daily.c.day, usage_daily.c.kind, sa.func.sum(usage_daily.c.count))
        .where(usage_daily.c.day >= since)
        .group_by(usage_daily.c.day, usage_daily.c.kind)
    )
    return {(d if isinstance(d, date) else date.fromisoformat(d), k): int(n) for d, k, n in rows}


def _utc_day(conn: Connection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite keeps UTC timestamps as text


def searches_per_day(conn: Connection, since: datetime) -> dict[date, int]:
    day = _utc_day(conn, search_queries.c.at).label("day")
    rows = conn.execute(
        sa.select(day, sa.func.count()).where(search_queries.c.at >= since).group_by(day)
    )
    return {(d if isinstance(d, date) else date.fromisoformat(str(d))): int(n) for d, n in rows}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def overall_scores(
    conn: Connection, since: datetime
) -> tuple[dict[int, float], list[tuple[int, date, float | None]]]:
    """Overall quality scores of live objects: each one's newest before ``since`` (the state
    the window starts from), and its newest of each UTC day from ``since`` on, by day. A
    None score (the "no score" mark of a table left without active rules) means the object
    had no score from then on."""
    overall = sa.and_(
        quality_scores.c.dimension == "overall",
        quality_scores.c.asset_id.in_(sa.select(assets.c.id).where(IS_OBJECT)),
    )
    before = (
        sa.select(sa.func.max(quality_scores.c.id))
        .where(overall, quality_scores.c.computed_at < since)
        .group_by(quality_scores.c.asset_id)
    )
    seed = conn.execute(
        sa.select(quality_scores.c.asset_id, quality_scores.c.score).where(
            quality_scores.c.id.in_(before)
        )
    )
    start = {int(a): float(s) for a, s in seed if s is not None}
    newest_per_day = (
        sa.select(sa.func.max(quality_scores.c.id))
        .where(overall, quality_scores.c.computed_at >= since)
        .group_by(quality_scores.c.asset_id, _utc_day(conn, quality_scores.c.computed_at))
    )
    day = _utc_day(conn, quality_scores.c.computed_at).label("day")
    rows = conn.execute(
        sa.select(quality_scores.c.asset_id, day, quality_scores.c.score).where(
            quality_scores.c.id.in_(newest_per_day)
        )
    )
    daily = [(int(a), _as_date(d), None if s is None else float(s)) for a, d, s in rows]
    return start, sorted(daily, key=lambda r: (r[1], r[0]))


def finding_events_per_day(conn: Connection, since: datetime) -> dict[tuple[date, str], int]:
    """Compliance findings' status changes per UTC day from ``since``, by event (``opened``,
    ``accepted``, ``resolved``, ``reopened``), from the findings' history: every cycle of a
    finding that is resolved and reopened counts."""
    e = compliance_finding_events.c
    day = _utc_day(conn, e.at).label("day")
    rows = conn.execute(
        sa.select(day, e.event, sa.func.count()).where(e.at >= since).group_by(day, e.event)
    )
    return {(_as_date(d), str(event)): int(n) for d, event, n in rows}


def findings_by_state(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    """Findings on live assets per framework, severity and status (or of one status)."""
    f = compliance_findings.c
    query = (
        sa.select(f.framework, f.severity, f.status, sa.func.count().label("count"))
        .join(assets, assets.c.id == f.asset_id)
        .where(LIVE)
        .group_by(f.framework, f.severity, f.status)
        .order_by(f.framework, f.severity, f.status)
    )
    if status is not None:
        query = query.where(f.status == status)
    return [dict(r) for r in conn.execute(query).mappings()]


def latest_rule_outcomes(conn: Connection) -> dict[str, int]:
    """Active rules on live objects by the outcome of their newest result: ``passed``,
    ``failed``, ``errored`` (the check could not run) or ``not_run``."""
    newest = (
        sa.select(quality_results.c.rule_id, sa.func.max(quality_results.c.id).label("result_id"))
        .group_by(quality_results.c.rule_id)
        .subquery()
    )
    query = (
        sa.select(
            quality_results.c.passed,
            sa.func.count().label("rules"),
            sa.func.count(newest.c.result_id).label("with_result"),
        )
        .select_from(quality_rules)
        .join(assets, assets.c.id == quality_rules.c.asset_id)
        .outerjoin(newest, newest.c.rule_id == quality_rules.c.id)
        .outerjoin(quality_results, quality_results.c.id == newest.c.result_id)
        .where(quality_rules.c.status == "active", LIVE)
        .group_by(quality_results.c.passed)
    )
    out = dict.fromkeys(("passed", "failed", "errored", "not_run"), 0)
    for passed, rules, with_result in conn.execute(query):
        if passed is None:  # no result yet, or the newest one errored
            out["errored"] += int(with_result)
            out["not_run"] += int(rules) - int(with_result)
        else:
            out["passed" if passed else "failed"] += int(rules)
    return out


def search_summary(conn: Connection, since: datetime, top: int) -> dict[str, Any]:
    recent = search_queries.c.at >= since
    total = conn.execute(sa.select(sa.func.count()).where(recent)).scalar_one()
    zero = conn.execute(
        sa.select(sa.func.count()).where(recent, search_queries.c.result_count == 0)
    ).scalar_one()
    text = sa.func.lower(search_queries.c.query).label("query")
    n = sa.func.count().label("n")
    rows = conn.execute(
        sa.select(text, n).where(recent).group_by(text).order_by(n.desc(), text).limit(top)
    )
    return {
        "total": int(total),
        "zero_results": int(zero),
        "top": [{"query": q, "count": int(c)} for q, c in rows],
    }


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


def search_query_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(search_queries)).scalar_one())
