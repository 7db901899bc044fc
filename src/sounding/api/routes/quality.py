"""Data quality: rules, runs, results, scores, suggestions and reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader, Runner, Writer
from sounding.api.etags import IfMatch, tagged
from sounding.api.openapi import content_types
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas.quality import (
    QualityResultPage,
    QualityRuleCreate,
    QualityRuleFile,
    QualityRuleFileResult,
    QualityRulePage,
    QualityRulePublic,
    QualityRuleUpdate,
    QualityRunCreate,
    QualityRunPage,
    QualityRunPublic,
    QualityScores,
    QualitySuggestions,
    QualitySuggestionsCreate,
    QualityTrend,
)
from sounding.features.quality import reports as quality_reports
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import scores as quality_scores
from sounding.features.quality import service as quality
from sounding.features.quality.records import (
    QualityRule,
    QualityRunDetail,
    RuleFileResult,
    RuleSuggestions,
    ScopeScores,
    ScopeTrend,
)

router = api_router("/quality", tags=["quality"])


@router.get("/rules", response_model=QualityRulePage)
def list_rules(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    source: str | None = None,
    asset: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    items, total = quality.list_rules(
        ctx, who, source=source, asset=asset, status=status, limit=page.limit, offset=page.offset
    )
    return page.result(items, total)


@router.post("/rules", status_code=201, response_model=QualityRulePublic)
def create_rule(
    ctx: CtxDep, who: Writer, response: Response, body: Annotated[QualityRuleCreate, Body()]
) -> QualityRule:
    data = body.model_dump(exclude={"asset"}, exclude_none=True)
    return tagged(response, quality.create_rule(ctx, who, body.asset, data))


@router.post("/rules/apply", response_model=QualityRuleFileResult)
def apply_rules(
    ctx: CtxDep, who: Writer, body: Annotated[QualityRuleFile, Body()]
) -> RuleFileResult:
    """Create or update the rules of a YAML rule file, all or nothing."""
    return quality.apply_rule_file(ctx, who, body.yaml)


@router.get("/rules/{rule_id:int}", response_model=QualityRulePublic)
def get_rule(ctx: CtxDep, who: Reader, response: Response, rule_id: Id) -> QualityRule:
    """A rule; its ETag in the ``ETag`` header."""
    return tagged(response, quality.public_rule(quality.get_rule(ctx, who, rule_id)))


@router.patch("/rules/{rule_id:int}", response_model=QualityRulePublic)
def update_rule(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    rule_id: Id,
    body: Annotated[QualityRuleUpdate, Body()],
    if_match: IfMatch,
) -> QualityRule:
    changes = body.model_dump(exclude_unset=True)
    return tagged(response, quality.update_rule(ctx, who, rule_id, changes, if_match=if_match))


@router.delete("/rules/{rule_id:int}", status_code=204)
def delete_rule(ctx: CtxDep, who: Writer, rule_id: Id, if_match: IfMatch) -> Response:
    quality.delete_rule(ctx, who, rule_id, if_match=if_match)
    return Response(status_code=204)


@router.get("/rules/{rule_id:int}/results", response_model=QualityResultPage)
def rule_results(ctx: CtxDep, who: Reader, rule_id: Id, page: PageDep) -> dict[str, Any]:
    """The rule's results, newest first."""
    order = quality_runs.RESULT_ORDER
    items, total = quality_runs.result_history(
        ctx, who, rule_id=rule_id, limit=page.limit, offset=page.offset, after=page.after(order)
    )
    return page.result(items, total, order)


@router.post("/runs", status_code=201, response_model=QualityRunPublic)
def run(ctx: CtxDep, who: Runner, body: Annotated[QualityRunCreate, Body()]) -> QualityRunDetail:
    """Run the active rules of a source (or one table) now; returns the run and results."""
    return quality_runs.run_quality(ctx, who, body.source, body.asset)


@router.get("/runs", response_model=QualityRunPage)
def list_runs(ctx: CtxDep, who: Reader, page: PageDep, source: str | None = None) -> dict[str, Any]:
    items, total = quality_runs.list_runs(ctx, who, source, page.limit, page.offset)
    return page.result(items, total)


@router.get("/runs/{run_id}", response_model=QualityRunPublic)
def get_run(ctx: CtxDep, who: Reader, run_id: Id) -> QualityRunDetail:
    return quality_runs.get_run(ctx, who, run_id)


@router.get("/results", response_model=QualityResultPage)
def results(ctx: CtxDep, who: Reader, page: PageDep, asset: str) -> dict[str, Any]:
    """Results of every rule of a table, newest first (examples masked without pii:read)."""
    order = quality_runs.RESULT_ORDER
    items, total = quality_runs.result_history(
        ctx, who, asset=asset, limit=page.limit, offset=page.offset, after=page.after(order)
    )
    return page.result(items, total, order)


@router.get("/scores", response_model=QualityScores)
def scores(
    ctx: CtxDep,
    who: Reader,
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
) -> ScopeScores:
    """Scores per dimension and overall, rolled up to tables, schemas, sources, domains."""
    return quality_scores.scores(ctx, who, source=source, domain=domain, asset=asset)


@router.get("/scores/trend", response_model=QualityTrend)
def trend(
    ctx: CtxDep,
    who: Reader,
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    dimension: str = "overall",
) -> ScopeTrend:
    return quality_scores.trend(
        ctx, who, source=source, domain=domain, asset=asset, days=days, dimension=dimension
    )


@router.get("/suggestions", response_model=QualityRulePage)
def suggestions(
    ctx: CtxDep, who: Reader, page: PageDep, source: str | None = None, asset: str | None = None
) -> dict[str, Any]:
    """Suggested rules waiting for a steward."""
    items, total = quality.list_rules(
        ctx,
        who,
        source=source,
        asset=asset,
        status="suggested",
        limit=page.limit,
        offset=page.offset,
    )
    return page.result(items, total)


@router.post("/suggestions", response_model=QualitySuggestions)
def suggest(
    ctx: CtxDep, who: Writer, body: Annotated[QualitySuggestionsCreate, Body()]
) -> RuleSuggestions:
    """Suggest rules from the newest profiles of the source's tables."""
    return quality.suggest(ctx, who, body.source, body.asset)


@router.post("/suggestions/{rule_id}/accept", response_model=QualityRulePublic)
def accept(
    ctx: CtxDep, who: Writer, response: Response, rule_id: Id, if_match: IfMatch
) -> QualityRule:
    return tagged(response, quality.decide(ctx, who, rule_id, "active", if_match=if_match))


@router.post("/suggestions/{rule_id}/reject", response_model=QualityRulePublic)
def reject(
    ctx: CtxDep, who: Writer, response: Response, rule_id: Id, if_match: IfMatch
) -> QualityRule:
    return tagged(response, quality.decide(ctx, who, rule_id, "rejected", if_match=if_match))


@router.get("/report", responses=content_types("application/json", "text/csv", "text/html"))
def report(
    ctx: CtxDep,
    who: Reader,
    format: Literal["json", "csv", "html"] = "json",
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:
    """The quality report as JSON, CSV or a self-contained HTML page."""
    media, text = quality_reports.report(
        ctx, who, format, source=source, domain=domain, asset=asset, days=days
    )
    return Response(content=text, media_type=media)
