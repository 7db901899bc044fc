"""The business glossary: terms, their hierarchy and status, links to assets, suggestions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query, Response

from sounding.api.deps import AssetWriter, CtxDep, PageDep, Reader, Writer
from sounding.api.etags import IfMatch, tagged
from sounding.api.openapi import content_types
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas.glossary import (
    GlossaryFormat,
    GlossaryImport,
    GlossaryImportResult,
    GlossaryLinkCreate,
    GlossaryLinkPage,
    GlossaryLinkPublic,
    GlossaryStatusChange,
    GlossarySuggestionRun,
    GlossarySuggestionsGenerate,
    GlossaryTermCreate,
    GlossaryTermPage,
    GlossaryTermPublic,
    GlossaryTermUpdate,
    GlossaryTree,
)
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.features.glossary.records import GlossaryImportResult as ImportResult
from sounding.features.glossary.records import GlossaryLink, GlossaryTermDetail, SuggestionRun

router = api_router("/glossary/terms", tags=["glossary"])


@router.get("", response_model=GlossaryTermPage)
def list_terms(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    q: str | None = Query(None, description="Part of a name, synonym or abbreviation"),
    status: str | None = None,
    parent: str | None = Query(None, description="Only children of this term (id or path)"),
    under: str | None = Query(None, description="The whole subtree under this path"),
    owner: str | None = None,
) -> dict[str, Any]:
    items, total = glossary.list_terms(
        ctx,
        who,
        q=q,
        status=status,
        parent=parent,
        under=under,
        owner=owner,
        limit=page.limit,
        offset=page.offset,
    )
    return page.result(items, total)


@router.post("", status_code=201, response_model=GlossaryTermPublic)
def create_term(
    ctx: CtxDep, who: Writer, response: Response, body: Annotated[GlossaryTermCreate, Body()]
) -> GlossaryTermDetail:
    """A new draft term."""
    return tagged(response, glossary.create_term(ctx, who, body.model_dump(exclude_unset=True)))


@router.get("/tree", response_model=GlossaryTree)
def term_tree(ctx: CtxDep, who: Reader, status: str | None = None) -> dict[str, Any]:
    """Every term nested under its parent."""
    items = glossary.tree(ctx, who, status)
    return {"items": items, "total": len(items)}


@router.get("/by-path", response_model=GlossaryTermPublic)
def term_by_path(
    ctx: CtxDep, who: Reader, response: Response, path: str = Query(description="/Finance/Revenue")
) -> GlossaryTermDetail:
    return tagged(response, glossary.get_term(ctx, who, path))


@router.get("/export", responses=content_types("text/csv", "application/json"))
def export_terms(ctx: CtxDep, who: Reader, format: GlossaryFormat = "csv") -> Response:
    """The glossary as CSV or JSON, in the format import reads."""
    text = glossary.export_terms(ctx, who, format)
    media = "text/csv" if format == "csv" else "application/json"
    return Response(text, media_type=f"{media}; charset=utf-8")


@router.post("/import", response_model=GlossaryImportResult)
def import_terms(ctx: CtxDep, who: Writer, body: Annotated[GlossaryImport, Body()]) -> ImportResult:
    """Create or update terms by path from a CSV or JSON file, all or nothing."""
    return glossary.import_terms(ctx, who, body.content, body.format)


@router.get("/suggestions", response_model=GlossaryLinkPage)
def list_suggestions(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    term: str | None = Query(None, description="Only this term (id or path)"),
    source: str | None = None,
    status: str | None = Query("suggested", description="suggested, accepted or rejected"),
    min_confidence: float | None = Query(None, ge=0, le=1),
) -> dict[str, Any]:
    items, total = glossary_links.list_suggestions(
        ctx,
        who,
        term=term,
        source=source,
        status=status,
        min_confidence=min_confidence,
        limit=page.limit,
        offset=page.offset,
    )
    return page.result(items, total)


@router.post("/suggestions/generate", response_model=GlossarySuggestionRun)
def generate_suggestions(
    ctx: CtxDep, who: Writer, body: GlossarySuggestionsGenerate | None = None
) -> SuggestionRun:
    """Score terms against assets and store suggestions (rejected pairs never come back)."""
    req = body or GlossarySuggestionsGenerate()
    return glossary_links.generate_suggestions(ctx, who, req.source, req.threshold)


@router.post("/suggestions/{link_id}/accept", response_model=GlossaryLinkPublic)
def accept_suggestion(ctx: CtxDep, who: Writer, link_id: Id) -> GlossaryLink:
    return glossary_links.decide_suggestion(ctx, who, link_id, glossary_links.ACCEPTED)


@router.post("/suggestions/{link_id}/reject", response_model=GlossaryLinkPublic)
def reject_suggestion(ctx: CtxDep, who: Writer, link_id: Id) -> GlossaryLink:
    return glossary_links.decide_suggestion(ctx, who, link_id, glossary_links.REJECTED)


@router.get("/{ref}", response_model=GlossaryTermPublic)
def get_term(ctx: CtxDep, who: Reader, response: Response, ref: str) -> GlossaryTermDetail:
    """A term by id (paths: use ``/by-path``); its ETag in the ``ETag`` header."""
    return tagged(response, glossary.get_term(ctx, who, ref))


@router.patch("/{ref}", response_model=GlossaryTermPublic)
def update_term(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    ref: str,
    body: Annotated[GlossaryTermUpdate, Body()],
    if_match: IfMatch,
) -> GlossaryTermDetail:
    """Edit a term; renaming or moving it moves its subtree."""
    changes = body.model_dump(exclude_unset=True)
    return tagged(response, glossary.update_term(ctx, who, ref, changes, if_match=if_match))


@router.delete("/{ref}", status_code=204)
def delete_term(
    ctx: CtxDep, who: Writer, ref: str, if_match: IfMatch, recursive: bool = False
) -> Response:
    glossary.delete_term(ctx, who, ref, recursive, if_match=if_match)
    return Response(status_code=204)


@router.post("/{ref}/approve", response_model=GlossaryTermPublic)
def approve_term(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    ref: str,
    if_match: IfMatch,
    body: GlossaryStatusChange | None = None,
) -> GlossaryTermDetail:
    """Approve a draft term; who approved and when is recorded."""
    note = body.note if body else None
    term = glossary.set_status(ctx, who, ref, "approved", note, if_match=if_match)
    return tagged(response, term)


@router.post("/{ref}/deprecate", response_model=GlossaryTermPublic)
def deprecate_term(
    ctx: CtxDep,
    who: Writer,
    response: Response,
    ref: str,
    if_match: IfMatch,
    body: GlossaryStatusChange | None = None,
) -> GlossaryTermDetail:
    note = body.note if body else None
    term = glossary.set_status(ctx, who, ref, "deprecated", note, if_match=if_match)
    return tagged(response, term)


@router.get("/{ref}/assets", response_model=GlossaryLinkPage)
def term_assets(
    ctx: CtxDep,
    who: Reader,
    ref: str,
    page: PageDep,
    status: str | None = Query("accepted", description="accepted, suggested or rejected"),
) -> dict[str, Any]:
    items, total = glossary_links.term_assets(ctx, who, ref, status, page.limit, page.offset)
    return page.result(items, total)


@router.post("/{ref}/assets", status_code=201, response_model=GlossaryLinkPublic)
def link_asset(
    ctx: CtxDep, who: AssetWriter, ref: str, body: Annotated[GlossaryLinkCreate, Body()]
) -> GlossaryLink:
    """Link the term to an asset (accepts a pending suggestion)."""
    return glossary_links.link(ctx, who, ref, body.asset)


@router.delete("/{ref}/assets", status_code=204)
def unlink_asset(
    ctx: CtxDep, who: AssetWriter, ref: str, asset: str = Query(description="Asset id or URN")
) -> Response:
    glossary_links.unlink(ctx, who, ref, asset)
    return Response(status_code=204)
