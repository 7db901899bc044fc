"""``/insights``: anomalies with their evidence, recommendations with theirs (stewards apply
and roll them back), and how well durations are forecast; per workflow and step, the
duration history with the forecast, its band and its measured error, drawn on the server
(also served alone, for other pages to embed, at ``/insights/workflows/NAME/chart``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.insights import DurationHistory, RecommendationAction, Recommendations
from sounding.features.insights import history as duration_history
from sounding.features.insights import service as insights
from sounding.ui.deps import CtxDep, UiReader, UiRunner, safe_next
from sounding.ui.insights_chart import build_chart, seconds_text
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

Name = Annotated[str, Path(min_length=1, max_length=200)]
Days = Annotated[int, Query(ge=1, le=366)]
RecId = Annotated[str, Path(min_length=1, max_length=64)]
ActionId = Annotated[int | None, Query(ge=1, le=2**62)]
Back = Annotated[str, Form(max_length=500)]


def _done(
    recs: Recommendations, applied: int | None, rolled_back: int | None
) -> RecommendationAction | None:
    """The action just taken (named by the redirect after it), to say what it did."""
    wanted = applied or rolled_back
    return next((a for a in recs.applied if a.id == wanted), None) if wanted else None


def _back(target: str, key: str, action: RecommendationAction) -> str:
    """Where to go after an action: the page it came from (on this site), saying what it did."""
    path = safe_next(target).split("?")[0].split("#")[0]
    if not path.startswith("/insights"):
        path = "/insights"
    return f"{path}?{key}={action.id}#done"


def _chart_values(history: DurationHistory) -> dict[str, object]:
    return {"history": history, "chart": build_chart(history), "secs": seconds_text}


@router.get("/insights")
def overview(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    days: Days = 30,
    applied: ActionId = None,
    rolled_back: ActionId = None,
) -> Response:
    """Anomalies of the last ``days`` days, recommendations and the forecasts' error."""
    recs = insights.recommendations(ctx, web.principal)
    values = {
        "days": days,
        "anomalies": insights.anomalies(ctx, web.principal, days),
        "recs": recs,
        "applied_ids": {a.recommendation_id for a in recs.applied if a.status == "applied"},
        "forecasts": insights.forecasts(ctx, web.principal),
        "done": _done(recs, applied, rolled_back),
        "secs": seconds_text,
    }
    return render(request, "insights/index.html", values, web=web)


def _workflow_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    name: str,
    step: str | None,
    done: tuple[int | None, int | None] = (None, None),
) -> Response:
    history = duration_history.duration_history(ctx, web.principal, name, step)
    recs = insights.recommendations(ctx, web.principal, name)
    values = {
        **_chart_values(history),
        "recs": recs,
        "applied_ids": {a.recommendation_id for a in recs.applied if a.status == "applied"},
        "anomalies": history.anomalies,
        "done": _done(recs, *done),
    }
    return render(request, "insights/workflow.html", values, web=web)


@router.get("/insights/workflows/{name}")
def workflow_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    name: Name,
    applied: ActionId = None,
    rolled_back: ActionId = None,
) -> Response:
    """A workflow's execution durations with their forecast, its recommendations; links to
    each step's durations."""
    return _workflow_page(request, ctx, web, name, None, (applied, rolled_back))


@router.get("/insights/workflows/{name}/steps/{step}")
def step_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    name: Name,
    step: Annotated[str, Path(min_length=1, max_length=200)],
) -> Response:
    return _workflow_page(request, ctx, web, name, step)


@router.get("/insights/workflows/{name}/chart")
def chart_fragment(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    name: Name,
    step: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The duration chart alone (a fragment: the workflow page loads it with htmx)."""
    history = duration_history.duration_history(ctx, web.principal, name, step or None)
    return render(request, "insights/chart.html", _chart_values(history), web=web)


@router.post("/insights/recommendations/{rec_id}/apply")
def apply(ctx: CtxDep, web: UiRunner, rec_id: RecId, back: Back = "/insights") -> Response:
    """Apply as the API does; the page it came from then shows the change and offers its
    rollback."""
    action = insights.apply_recommendation(ctx, web.principal, rec_id)
    return RedirectResponse(_back(back, "applied", action), status_code=303)


@router.post("/insights/recommendations/{rec_id}/rollback")
def rollback(ctx: CtxDep, web: UiRunner, rec_id: RecId, back: Back = "/insights") -> Response:
    action = insights.rollback_recommendation(ctx, web.principal, rec_id)
    return RedirectResponse(_back(back, "rolled_back", action), status_code=303)
