"""``/quality``: scores per dimension and their trend, tables with their scores, and every
active rule with its newest result and failing examples (masked as the API masks them);
stewards run a source's rules now."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import InvalidInputError
from sounding.features.quality import reports as quality_reports
from sounding.features.quality import runs as quality_runs
from sounding.features.quality.scores import DIMENSIONS
from sounding.ui.deps import CtxDep, UiReader, UiRunner
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

STATUSES = ("all", "failing", "passing", "unchecked")
RULES_SHOWN = 500  # the page lists this many rules; filters narrow it
CHART_W, CHART_H = 320, 60


def _status_of(rule: dict[str, Any]) -> str:
    result = rule.get("result")
    if not result or result.get("passed") is None:
        return "unchecked"
    return "passing" if result["passed"] else "failing"


def trend_points(points: list[dict[str, Any]], days: int) -> list[tuple[float, float]]:
    """SVG coordinates of the overall score (0..1) per day of the last ``days`` days, the
    newest day at the right edge."""
    if not points:
        return []
    step = CHART_W / max(days - 1, 1)
    last = date.fromisoformat(points[-1]["date"])
    out = []
    for p in points:
        x = CHART_W - (last - date.fromisoformat(p["date"])).days * step
        y = CHART_H - float(p["score"]) * CHART_H
        out.append((round(x, 1), round(y, 1)))
    return out


@router.get("/quality")
def quality_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    source: Annotated[str | None, Query(max_length=200)] = None,
    domain: Annotated[str | None, Query(max_length=200)] = None,
    asset: Annotated[str | None, Query(max_length=2000)] = None,
    status: str = "all",
    days: Annotated[int, Query(ge=2, le=366)] = 30,
    ran: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    if status not in STATUSES:
        raise InvalidInputError(
            f"Unknown status {status!r}; choose one of: {', '.join(STATUSES)}", field="status"
        )
    data = quality_reports.report_data(
        ctx,
        web.principal,
        source=source or None,
        domain=domain or None,
        asset=asset or None,
        days=days,
    )
    rules = data["rules"]
    counts = {s: 0 for s in STATUSES}
    for rule in rules:
        counts[_status_of(rule)] += 1
    counts["all"] = len(rules)
    shown = [r for r in rules if status == "all" or _status_of(r) == status]
    shown.sort(key=lambda r: (_status_of(r) != "failing", r["qualified_name"] or "", r["name"]))
    last_run = quality_runs.get_run(ctx, web.principal, ran) if ran else None
    values = {
        "data": data,
        "rules": shown[:RULES_SHOWN],
        "more_rules": max(0, len(shown) - RULES_SHOWN),
        "counts": counts,
        "statuses": STATUSES,
        "dimensions": DIMENSIONS,
        "filters": {"source": source, "domain": domain, "asset": asset, "status": status},
        "days": days,
        "trend": trend_points(data["trend"], days),
        "chart": {"w": CHART_W, "h": CHART_H},
        "status_of": _status_of,
        "last_run": last_run,
    }
    return render(request, "quality/index.html", values, web=web)


@router.post("/quality/runs")
def run_now(
    ctx: CtxDep,
    web: UiRunner,
    source: Annotated[str, Form(min_length=1, max_length=200)],
    asset: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Run the active rules of a source (or one table) now, then show the page with them."""
    run = quality_runs.run_quality(ctx, web.principal, source, asset or None)
    target = f"/quality?source={source}&ran={run.id}"
    return RedirectResponse(target, status_code=303)
