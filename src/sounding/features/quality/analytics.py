"""Quality in the core's combined views: the coverage figure "with quality rules", the
quality trend of catalog analytics, rule outcomes for ``/metrics`` and the home page's
to-do, and the rules change impact lists (the quality feature's registered hooks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.quality.tables import quality_results, quality_rules, quality_scores
from sounding.services.context import Context
from sounding.services.features import AnalyticsWindow
from sounding.store.repos import analytics as core
from sounding.store.tables import assets

CHUNK = 500  # ids per IN list


def active_rule_assets() -> sa.Select[Any]:
    """Assets with at least one active rule (coverage: ``with_quality_rules``)."""
    return sa.select(quality_rules.c.asset_id).where(quality_rules.c.status == "active")


def overall_scores(
    conn: Connection, since: datetime
) -> tuple[dict[int, float], list[tuple[int, date, float | None]]]:
    """Overall quality scores of live objects: each one's newest before ``since`` (the state
    the window starts from), and its newest of each UTC day from ``since`` on, by day. A
    None score (the "no score" mark of a table left without active rules) means the object
    had no score from then on."""
    overall = sa.and_(
        quality_scores.c.dimension == "overall",
        quality_scores.c.asset_id.in_(sa.select(assets.c.id).where(core.IS_OBJECT)),
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
        .group_by(quality_scores.c.asset_id, core.utc_day(conn, quality_scores.c.computed_at))
    )
    day = core.utc_day(conn, quality_scores.c.computed_at).label("day")
    rows = conn.execute(
        sa.select(quality_scores.c.asset_id, day, quality_scores.c.score).where(
            quality_scores.c.id.in_(newest_per_day)
        )
    )
    daily = [(int(a), core.as_date(d), None if s is None else float(s)) for a, d, s in rows]
    return start, sorted(daily, key=lambda r: (r[1], r[0]))


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
        .where(quality_rules.c.status == "active", core.LIVE)
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


def _quality_trend(
    conn: Connection, since_day: date, days: int, since: datetime
) -> list[dict[str, Any]]:
    """Per day: the mean of each object's newest overall score as of the end of the day
    (``score`` None and ``objects`` 0 before any object was scored)."""
    current, daily = overall_scores(conn, since)
    out = []
    i = 0
    for n in range(days):
        day = since_day + timedelta(days=n)
        while i < len(daily) and daily[i][1] <= day:
            object_id, _day, score = daily[i]
            if score is None:  # its rules went: no score from then on
                current.pop(object_id, None)
            else:
                current[object_id] = score
            i += 1
        mean = round(sum(current.values()) / len(current), 4) if current else None
        out.append({"day": day.isoformat(), "score": mean, "objects": len(current)})
    return out


def sections(conn: Connection, window: AnalyticsWindow) -> Mapping[str, object]:
    return {"quality_trend": _quality_trend(conn, window.since_day, window.days, window.since)}


def metrics(ctx: Context, conn: Connection) -> Mapping[str, object]:
    return {"quality_rules": latest_rule_outcomes(conn)}


def todo(conn: Connection) -> Mapping[str, int]:
    outcomes = latest_rule_outcomes(conn)
    return {"failing_rules": outcomes["failed"], "erroring_rules": outcomes["errored"]}


def active_rules(conn: Connection, table_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The active rules on these tables (change impact lists them on a changed asset)."""
    out: list[dict[str, Any]] = []
    ids = list(table_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = conn.execute(
            sa.select(
                quality_rules.c.id,
                quality_rules.c.name,
                quality_rules.c.kind,
                quality_rules.c.asset_id,
                quality_rules.c.column_name,
            )
            .where(quality_rules.c.asset_id.in_(chunk), quality_rules.c.status == "active")
            .order_by(quality_rules.c.id)
        )
        out.extend(dict(r) for r in rows.mappings())
    return out
