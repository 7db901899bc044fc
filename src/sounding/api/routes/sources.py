"""/api/v1/sources: register, list, change, remove and test data sources."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from sounding.api.deps import CtxDep, Manager, PageDep, Runner, SourceReader
from sounding.api.etags import IfMatch, tagged
from sounding.api.routing import api_router
from sounding.api.schemas import (
    ScanPublic,
    SourceCreate,
    SourceCreated,
    SourcePage,
    SourcePublic,
    SourceTestPublic,
    SourceUpdate,
)
from sounding.domain.scans import ScanRun
from sounding.services import scan_workflows, sources

router = api_router("/sources", tags=["sources"])


@router.get("", response_model=SourcePage)
def list_sources(ctx: CtxDep, who: SourceReader, page: PageDep) -> dict[str, Any]:
    items, total = sources.list_sources(ctx, who, page.limit, page.offset)
    return page.result(items, total)


@router.post("", status_code=201, response_model=SourceCreated)
def create_source(
    ctx: CtxDep, who: Manager, response: Response, body: SourceCreate
) -> dict[str, Any]:
    made = sources.add(
        ctx, who, body.name, body.url, body.include, body.exclude, body.options, body.description
    )
    return tagged(response, made)


@router.get("/{name}", response_model=SourcePublic)
def get_source(ctx: CtxDep, who: SourceReader, response: Response, name: str) -> dict[str, Any]:
    return tagged(response, sources.get(ctx, who, name))


@router.patch("/{name}", response_model=SourcePublic)
def update_source(
    ctx: CtxDep, who: Manager, response: Response, name: str, body: SourceUpdate, if_match: IfMatch
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return tagged(response, sources.update(ctx, who, name, changes, if_match=if_match))


@router.delete("/{name}", status_code=204)
def delete_source(ctx: CtxDep, who: Manager, name: str, if_match: IfMatch) -> Response:
    sources.remove(ctx, who, name, if_match=if_match)
    return Response(status_code=204)


@router.post("/{name}/test", response_model=SourceTestPublic)
def test_source(ctx: CtxDep, who: Manager, name: str) -> dict[str, Any]:
    """Connect to the source: the fields below and the connector's own facts beside them."""
    return sources.test_connection(ctx, who, name).public()


@router.post("/{name}/scans", status_code=202, response_model=ScanPublic)
def scan_source(ctx: CtxDep, who: Runner, name: str) -> ScanRun:
    return scan_workflows.start_public(ctx, who, name)
