"""/api/v1/templates, /api/v1/system/health, /api/v1/analytics and /api/v1/insights."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Query

from sounding.api.deps import CtxDep, Reader, Runner
from sounding.api.routing import api_router
from sounding.api.schemas.insights import (
    Anomalies,
    Forecasts,
    OrchestrationAnalytics,
    RecommendationActionPublic,
    Recommendations,
    SystemHealth,
)
from sounding.api.schemas.workflows import (
    TemplateInstance,
    TemplateInstantiate,
    TemplateList,
    TemplatePublic,
)
from sounding.domain.executions import TemplateRecord, WorkflowFromTemplate
from sounding.domain.health import SystemHealthReport
from sounding.features.insights import service as insights
from sounding.services import health, templates

router = api_router(tags=["insights"])
Days = Annotated[int, Query(ge=1, le=366, description="UTC days back, today included")]


@router.get("/templates", response_model=TemplateList)
def list_templates(ctx: CtxDep, who: Reader) -> dict[str, Any]:
    items = templates.list_templates(ctx, who)
    return {"items": items, "total": len(items)}


@router.get("/templates/{name}", response_model=TemplatePublic)
def get_template(ctx: CtxDep, who: Reader, name: str) -> TemplateRecord:
    """A template: its parameters' JSON Schema, defaults and workflow document."""
    return templates.get(ctx, who, name)


@router.post("/templates/{name}/instantiate", status_code=201, response_model=TemplateInstance)
def instantiate_template(
    ctx: CtxDep, who: Runner, name: str, body: TemplateInstantiate | None = None
) -> WorkflowFromTemplate:
    """Validate the parameters (422 names each problem), render and store the workflow."""
    return templates.instantiate_template(ctx, who, name, body.params if body else {})


@router.get("/system/health", response_model=SystemHealth)
def system_health(ctx: CtxDep, who: Reader) -> SystemHealthReport:
    """Queue depth, running tasks, per-source load, executor, scheduler and store."""
    return health.system_health(ctx, who)


@router.get("/analytics/orchestration", response_model=OrchestrationAnalytics)
def orchestration_analytics(ctx: CtxDep, who: Reader, days: Days = 7) -> dict[str, Any]:
    return asdict(insights.orchestration_analytics(ctx, who, days))


@router.get("/insights/forecasts", response_model=Forecasts)
def forecasts(
    ctx: CtxDep,
    who: Reader,
    workflow: str | None = None,
    tasks: Annotated[
        int | None, Query(ge=0, le=10_000_000, description="Forecast at this task count")
    ] = None,
) -> dict[str, Any]:
    return asdict(insights.forecasts(ctx, who, workflow, tasks))


@router.get("/insights/anomalies", response_model=Anomalies)
def anomalies(
    ctx: CtxDep,
    who: Reader,
    days: Days = 30,
    workflow: str | None = None,
    k: Annotated[float, Query(gt=0, description="Flag beyond k MADs")] = insights.DEFAULT_K,
) -> dict[str, Any]:
    return asdict(insights.anomalies(ctx, who, days, workflow, k))


@router.get("/insights/recommendations", response_model=Recommendations)
def recommendations(ctx: CtxDep, who: Reader, workflow: str | None = None) -> dict[str, Any]:
    return asdict(insights.recommendations(ctx, who, workflow))


@router.post("/insights/recommendations/{rec_id}/apply", response_model=RecommendationActionPublic)
def apply_recommendation(ctx: CtxDep, who: Runner, rec_id: str) -> dict[str, Any]:
    """Change the workflow as recommended; 409 for advice-only recommendations."""
    return asdict(insights.apply_recommendation(ctx, who, rec_id))


@router.post(
    "/insights/recommendations/{rec_id}/rollback", response_model=RecommendationActionPublic
)
def rollback_recommendation(ctx: CtxDep, who: Runner, rec_id: str) -> dict[str, Any]:
    """Restore the value the recommendation replaced; 409 if it was changed since."""
    return asdict(insights.rollback_recommendation(ctx, who, rec_id))
