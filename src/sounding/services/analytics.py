"""Catalog analytics (``GET /api/v1/analytics/catalog``) and the figures ``/metrics`` exports.

Definitions (also in docs/analytics.md): *objects* are live tables, views and datasets; an
object is *described* / *owned* when its description / owner is not blank, *classified* when
it or one of its columns has a label that is not rejected, *with lineage* when an edge starts
or ends at it or at one of its columns. *Used* means viewed through the API or named by a
query-log statement in the window (search hits alone do not make an object used). An object
is *with quality rules* when it has at least one active rule. The quality trend is, per day,
the mean of each object's newest overall score as of the end of that day (carried forward,
as ``sounding quality trend`` does, and dropped from the day its rules went); the compliance
trend counts, from the findings' history, findings opened (new or reopened), reopened,
accepted and resolved per day, and the findings open now by framework and severity.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.errors import InvalidInputError
from sounding.features.usage import service as usage
from sounding.features.usage.records import UsageKind
from sounding.services.context import Context
from sounding.store.repos import analytics as repo

logger = logging.getLogger(__name__)

TOP = 10  # most used objects, top searches
UNUSED_LISTED = 50  # unused objects listed (all are counted)
SCHEMA_CHANGES = 20
USE_KINDS = (UsageKind.VIEW.value, UsageKind.QUERY.value)
TREND_KEYS = {"view": "views", "search_hit": "search_hits", "query": "queries"}


def _percent(part: int, total: int) -> float | None:
    return round(100.0 * part / total, 1) if total else None


def _coverage(counts: dict[str, int]) -> dict[str, Any]:
    total = counts["total"]
    out: dict[str, Any] = {"objects": total}
    for key in ("described", "owned", "classified", "with_lineage", "with_quality_rules"):
        out[key] = {"count": counts[key], "percent": _percent(counts[key], total)}
    return out


def _object_public(row: dict[str, Any], uses: dict[str, int]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "urn": row["urn"],
        "name": row["name"],
        "qualified_name": row["qualified_name"],
        "type": row["type"],
        "source": row["source"],
        "owner": row["owner"],
        "popularity": round(float(row["popularity"]), 4),
        "views": uses.get(UsageKind.VIEW.value, 0),
        "queries": uses.get(UsageKind.QUERY.value, 0),
        "search_hits": uses.get(UsageKind.SEARCH_HIT.value, 0),
    }


def _usage_sections(conn: Any, since_day: date) -> dict[str, Any]:
    per_object = repo.usage_per_object(conn, since_day)
    rows = repo.objects(conn)
    used = {i for i, kinds in per_object.items() if any(kinds.get(k) for k in USE_KINDS)}
    ranked = sorted(
        (r for r in rows if r["id"] in used),
        key=lambda r: (-sum(per_object[r["id"]].get(k, 0) for k in USE_KINDS), r["id"]),
    )
    unused = [r for r in rows if r["id"] not in used]
    return {
        "most_used": [_object_public(r, per_object[r["id"]]) for r in ranked[:TOP]],
        "unused": {
            "count": len(unused),
            "items": [_object_public(r, per_object.get(r["id"], {})) for r in unused][
                :UNUSED_LISTED
            ],
        },
    }


def _trend(conn: Any, since_day: date, days: int, since: datetime) -> list[dict[str, Any]]:
    per_day = repo.usage_per_day(conn, since_day)
    searches = repo.searches_per_day(conn, since)
    out = []
    for i in range(days):
        day = since_day + timedelta(days=i)
        entry: dict[str, Any] = {"day": day.isoformat()}
        for kind, key in TREND_KEYS.items():
            entry[key] = per_day.get((day, kind), 0)
        entry["searches"] = searches.get(day, 0)
        out.append(entry)
    return out


def _quality_trend(conn: Any, since_day: date, days: int, since: datetime) -> list[dict[str, Any]]:
    """Per day: the mean of each object's newest overall score as of the end of the day
    (``score`` None and ``objects`` 0 before any object was scored)."""
    current, daily = repo.overall_scores(conn, since)
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


def _compliance_trend(conn: Any, since_day: date, days: int, since: datetime) -> dict[str, Any]:
    per_day = repo.finding_events_per_day(conn, since)
    open_now = repo.findings_by_state(conn, status="open")

    def count(day: date, event: str) -> int:
        return per_day.get((day, event), 0)

    return {
        "days": [
            {
                "day": day.isoformat(),
                "opened": count(day, "opened") + count(day, "reopened"),
                "reopened": count(day, "reopened"),
                "accepted": count(day, "accepted"),
                "resolved": count(day, "resolved"),
            }
            for day in (since_day + timedelta(days=n) for n in range(days))
        ],
        "open": [
            {"framework": r["framework"], "severity": r["severity"], "count": r["count"]}
            for r in open_now
        ],
        "open_total": sum(int(r["count"]) for r in open_now),
    }


def catalog_analytics(ctx: Context, actor: Principal, days: int = 30) -> dict[str, Any]:
    """Counts, coverage, usage, searches, schema changes, quality and compliance trends over
    the last ``days`` UTC days."""
    actor.require(Permission.CATALOG_READ)
    if not 1 <= days <= 366:
        raise InvalidInputError("days must be between 1 and 366", field="days")
    usage.flush(ctx)  # what this process counted in memory is part of the answer
    now = datetime.now(UTC)
    since_day = now.date() - timedelta(days=days - 1)
    since = datetime(since_day.year, since_day.month, since_day.day, tzinfo=UTC)
    with ctx.db.read() as conn:
        out: dict[str, Any] = {
            "days": days,
            "since": since,
            "generated_at": now,
            "assets": {
                "by_type": repo.counts_by_type(conn),
                "by_source": repo.objects_by_source(conn),
                "by_domain": repo.objects_by_domain(conn),
            },
            "coverage": _coverage(repo.coverage_counts(conn)),
            **_usage_sections(conn, since_day),
            "usage_trend": _trend(conn, since_day, days, since),
            "searches": repo.search_summary(conn, since, TOP),
            "schema_changes": repo.schema_changes(conn, since, SCHEMA_CHANGES),
            "quality_trend": _quality_trend(conn, since_day, days, since),
            "compliance_trend": _compliance_trend(conn, since_day, days, since),
        }
    return out


def metric_figures(ctx: Context) -> dict[str, Any]:
    """What ``/metrics`` reports from the store, read at scrape time (no permission: the
    endpoint is open like other Prometheus exporters and returns only counts)."""
    with ctx.db.read() as conn:
        figures: dict[str, Any] = repo.status_counts(conn)
        figures["assets"] = repo.counts_by_type(conn)
        figures["search_queries"] = repo.search_query_count(conn)
        figures["compliance_findings"] = repo.findings_by_state(conn)
        figures["quality_rules"] = repo.latest_rule_outcomes(conn)
    figures["usage_pending"] = usage.recorder(ctx).pending
    return figures
