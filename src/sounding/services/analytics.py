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
from datetime import UTC, datetime, timedelta
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.errors import InvalidInputError
from sounding.services import features
from sounding.services.context import Context
from sounding.services.features import AnalyticsWindow
from sounding.store.repos import analytics as repo

logger = logging.getLogger(__name__)

SCHEMA_CHANGES = 20
CORE_COVERAGE = ("described", "owned", "classified", "with_lineage")


def _percent(part: int, total: int) -> float | None:
    return round(100.0 * part / total, 1) if total else None


def _coverage(counts: dict[str, int], keys: tuple[str, ...]) -> dict[str, Any]:
    total = counts["total"]
    out: dict[str, Any] = {"objects": total}
    for key in keys:
        out[key] = {"count": counts[key], "percent": _percent(counts[key], total)}
    return out


def catalog_analytics(ctx: Context, actor: Principal, days: int = 30) -> dict[str, Any]:
    """Counts, coverage and schema changes over the last ``days`` UTC days, with the
    sections the features add (usage, searches, quality and compliance trends)."""
    actor.require(Permission.CATALOG_READ)
    if not 1 <= days <= 366:
        raise InvalidInputError("days must be between 1 and 366", field="days")
    features.flush(ctx)  # what this process counted in memory is part of the answer
    now = datetime.now(UTC)
    since_day = now.date() - timedelta(days=days - 1)
    since = datetime(since_day.year, since_day.month, since_day.day, tzinfo=UTC)
    window = AnalyticsWindow(since_day=since_day, since=since, days=days)
    shown = [q for q in features.coverage() if q.in_analytics]
    with ctx.db.read() as conn:
        counts = repo.coverage_counts(conn, {q.key: q.asset_ids for q in shown})
        out: dict[str, Any] = {
            "days": days,
            "since": since,
            "generated_at": now,
            "assets": {
                "by_type": repo.counts_by_type(conn),
                "by_source": repo.objects_by_source(conn),
                "by_domain": repo.objects_by_domain(conn),
            },
            "coverage": _coverage(counts, CORE_COVERAGE + tuple(q.key for q in shown)),
            "schema_changes": repo.schema_changes(conn, since, SCHEMA_CHANGES),
        }
        for feature in features.load():
            if feature.analytics is not None:
                out.update(feature.analytics(conn, window))
    return out


def metric_figures(ctx: Context) -> dict[str, Any]:
    """What ``/metrics`` reports from the store, read at scrape time (no permission: the
    endpoint is open like other Prometheus exporters and returns only counts), with the
    figures the features add."""
    with ctx.db.read() as conn:
        figures: dict[str, Any] = repo.status_counts(conn)
        figures["assets"] = repo.counts_by_type(conn)
        for feature in features.load():
            if feature.metrics is not None:
                figures.update(feature.metrics(ctx, conn))
    return figures
