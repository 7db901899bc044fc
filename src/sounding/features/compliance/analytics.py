"""Compliance in the core's combined views: the compliance trend of catalog analytics,
findings by state for ``/metrics``, open critical findings for the home page's to-do (the
compliance feature's registered hooks)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.compliance.tables import compliance_finding_events, compliance_findings
from sounding.services.context import Context
from sounding.services.features import AnalyticsWindow
from sounding.store.repos import analytics as core
from sounding.store.tables import assets


def finding_events_per_day(conn: Connection, since: datetime) -> dict[tuple[date, str], int]:
    """Compliance findings' status changes per UTC day from ``since``, by event (``opened``,
    ``accepted``, ``resolved``, ``reopened``), from the findings' history: every cycle of a
    finding that is resolved and reopened counts."""
    e = compliance_finding_events.c
    day = core.utc_day(conn, e.at).label("day")
    rows = conn.execute(
        sa.select(day, e.event, sa.func.count()).where(e.at >= since).group_by(day, e.event)
    )
    return {(core.as_date(d), str(event)): int(n) for d, event, n in rows}


def findings_by_state(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    """Findings on live assets per framework, severity and status (or of one status)."""
    f = compliance_findings.c
    query = (
        sa.select(f.framework, f.severity, f.status, sa.func.count().label("count"))
        .join(assets, assets.c.id == f.asset_id)
        .where(core.LIVE)
        .group_by(f.framework, f.severity, f.status)
        .order_by(f.framework, f.severity, f.status)
    )
    if status is not None:
        query = query.where(f.status == status)
    return [dict(r) for r in conn.execute(query).mappings()]


def _compliance_trend(
    conn: Connection, since_day: date, days: int, since: datetime
) -> dict[str, Any]:
    per_day = finding_events_per_day(conn, since)
    open_now = findings_by_state(conn, status="open")

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


def sections(conn: Connection, window: AnalyticsWindow) -> Mapping[str, object]:
    return {
        "compliance_trend": _compliance_trend(conn, window.since_day, window.days, window.since)
    }


def metrics(ctx: Context, conn: Connection) -> Mapping[str, object]:
    return {"compliance_findings": findings_by_state(conn)}


def todo(conn: Connection) -> Mapping[str, int]:
    critical = sum(
        int(r["count"])
        for r in findings_by_state(conn, status="open")
        if r["severity"] == "critical"
    )
    return {"open_critical_findings": critical}
