"""Compliance frameworks, evaluations, findings and reports under ``/compliance``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from sounding.api.deps import CtxDep, PageDep, Reader, Runner, Writer
from sounding.api.etags import IfMatch, tagged
from sounding.api.openapi import content_types
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas.compliance import (
    EvaluationCreate,
    EvaluationPage,
    EvaluationResult,
    FindingAccept,
    FindingDecision,
    FindingHistory,
    FindingPage,
    FindingPublic,
    FrameworkList,
    FrameworkPublic,
)
from sounding.features.compliance import findings as compliance_findings
from sounding.features.compliance import records
from sounding.features.compliance import service as compliance
from sounding.features.compliance.records import Finding

router = api_router("/compliance", tags=["compliance"])


@router.get("/frameworks", response_model=FrameworkList)
def list_frameworks(ctx: CtxDep, who: Reader) -> dict[str, Any]:
    """Built-in, file (``SOUNDING_HOME/frameworks``) and uploaded frameworks."""
    items = compliance.list_frameworks(ctx, who)
    return {"items": items, "total": len(items)}


@router.post("/frameworks", status_code=201, response_model=FrameworkPublic)
async def upload_framework(ctx: CtxDep, who: Writer, request: Request) -> dict[str, Any]:
    """Add or replace a framework: the YAML format as JSON, or YAML text
    (``Content-Type: application/yaml``). Errors name the path of each bad field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    kind = request.headers.get("content-type", "")
    result: dict[str, Any] = await run_in_threadpool(
        compliance.upload_framework_body, ctx, who, body, kind
    )
    return result


@router.get("/frameworks/{framework_id}", response_model=FrameworkPublic)
def get_framework(ctx: CtxDep, who: Reader, framework_id: str) -> dict[str, Any]:
    return compliance.get_framework(ctx, who, framework_id)


@router.delete("/frameworks/{framework_id}", status_code=204)
def delete_framework(ctx: CtxDep, who: Writer, framework_id: str) -> Response:
    """Delete an uploaded framework (its findings stay, as history)."""
    compliance.delete_framework(ctx, who, framework_id)
    return Response(status_code=204)


@router.post("/evaluations", response_model=EvaluationResult)
def evaluate(
    ctx: CtxDep, who: Runner, body: Annotated[EvaluationCreate | None, Body()] = None
) -> records.EvaluationResult:
    """Evaluate frameworks now: opens, reopens and resolves findings, tags assets."""
    req = body or EvaluationCreate()
    return compliance.evaluate(ctx, who, req.source, req.frameworks)


@router.get("/evaluations", response_model=EvaluationPage)
def evaluations(ctx: CtxDep, who: Reader, page: PageDep) -> dict[str, Any]:
    """Evaluation history, newest first (counts per run, for trends)."""
    items, total = compliance.evaluation_history(ctx, who, page.limit, page.offset)
    return page.result(items, total)


@router.get("/findings", response_model=FindingPage)
def list_findings(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    framework: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    source: str | None = None,
    asset: Annotated[str | None, Query(description="Asset id or URN")] = None,
    requirement: str | None = None,
) -> dict[str, Any]:
    items, total = compliance_findings.list_findings(
        ctx,
        who,
        framework=framework,
        severity=severity,
        status=status,
        source=source,
        asset=asset,
        requirement=requirement,
        limit=page.limit,
        offset=page.offset,
    )
    return page.result(items, total)


@router.get("/findings/{finding_id}", response_model=FindingPublic)
def get_finding(ctx: CtxDep, who: Reader, response: Response, finding_id: Id) -> Finding:
    return tagged(response, compliance_findings.get_finding(ctx, who, finding_id))


@router.get("/findings/{finding_id}/history", response_model=FindingHistory)
def finding_history(ctx: CtxDep, who: Reader, finding_id: Id) -> dict[str, Any]:
    """Every status change of the finding, oldest first: opened, accepted, resolved (by an
    evaluation or by hand), reopened, with who, when and the justification or note."""
    items = compliance_findings.history(ctx, who, finding_id)
    return {"finding_id": finding_id, "items": items, "total": len(items)}


@router.post("/findings/{finding_id}/acknowledge", response_model=FindingPublic)
def acknowledge(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    finding_id: Id,
    if_match: IfMatch,
    body: FindingDecision | None = None,
) -> Finding:
    """Acknowledge an open finding: seen, and owned by the caller. It stays open."""
    note = body.note if body else None
    found = compliance_findings.acknowledge(ctx, who, finding_id, note, if_match=if_match)
    return tagged(response, found)


@router.post("/findings/{finding_id}/accept", response_model=FindingPublic)
def accept(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    finding_id: Id,
    body: FindingAccept,
    if_match: IfMatch,
) -> Finding:
    """Accept an open finding's risk; the justification, who and when are kept."""
    found = compliance_findings.accept(ctx, who, finding_id, body.justification, if_match=if_match)
    return tagged(response, found)


@router.post("/findings/{finding_id}/resolve", response_model=FindingPublic)
def resolve(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    finding_id: Id,
    if_match: IfMatch,
    body: FindingDecision | None = None,
) -> Finding:
    """Mark a finding resolved; the next evaluation reopens it if it still fails."""
    note = body.note if body else None
    found = compliance_findings.resolve(ctx, who, finding_id, note, if_match=if_match)
    return tagged(response, found)


@router.post("/findings/{finding_id}/reopen", response_model=FindingPublic)
def reopen(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    finding_id: Id,
    if_match: IfMatch,
    body: FindingDecision | None = None,
) -> Finding:
    note = body.note if body else None
    found = compliance_findings.reopen(ctx, who, finding_id, note, if_match=if_match)
    return tagged(response, found)


@router.get(
    "/reports/{framework_id}",
    responses=content_types("application/json", "text/csv", "text/html"),
)
def report(
    ctx: CtxDep,
    who: Reader,
    framework_id: str,
    format: Literal["json", "csv", "html"] = "json",
    source: str | None = None,
) -> Response:
    """Coverage, open findings by severity and evidence for one framework."""
    media, text = compliance_findings.render_report(ctx, who, framework_id, format, source)
    headers = {}
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{framework_id}-compliance.csv"'
    return Response(text, media_type=media, headers=headers)
