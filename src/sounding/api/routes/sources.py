"""/api/v1/sources: register, list, change, remove and test data sources."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from sounding.api.deps import CtxDep, PageDep, require
from sounding.api.schemas import (
    Page,
    ScanPublic,
    SourceCreate,
    SourceCreated,
    SourcePublic,
    SourceUpdate,
)
from sounding.domain.auth import Permission, Principal
from sounding.services import scans, sources

router = APIRouter(prefix="/sources", tags=["sources"])
Reader = Annotated[Principal, Depends(require(Permission.SOURCE_READ))]
Manager = Annotated[Principal, Depends(require(Permission.SOURCE_MANAGE))]
Scanner = Annotated[Principal, Depends(require(Permission.SCAN_RUN))]


@router.get("", response_model=Page[SourcePublic])
def list_sources(ctx: CtxDep, who: Reader, page: PageDep) -> dict[str, Any]:
    items, total = sources.list_sources(ctx, who, page.limit, page.offset)
    return {"items": items, "total": total}


@router.post("", status_code=201, response_model=SourceCreated)
def create_source(ctx: CtxDep, who: Manager, body: SourceCreate) -> dict[str, Any]:
    return sources.add(
        ctx, who, body.name, body.url, body.include, body.exclude, body.options, body.description
    )


@router.get("/{name}", response_model=SourcePublic)
def get_source(ctx: CtxDep, who: Reader, name: str) -> dict[str, Any]:
    return sources.get(ctx, who, name)


@router.patch("/{name}", response_model=SourcePublic)
def update_source(ctx: CtxDep, who: Manager, name: str, body: SourceUpdate) -> dict[str, Any]:
    return sources.update(ctx, who, name, body.model_dump(exclude_unset=True))


@router.delete("/{name}", status_code=204)
def delete_source(ctx: CtxDep, who: Manager, name: str) -> Response:
    sources.remove(ctx, who, name)
    return Response(status_code=204)


@router.post("/{name}/test")
def test_source(ctx: CtxDep, who: Manager, name: str) -> dict[str, Any]:
    return sources.test_connection(ctx, who, name)


@router.post("/{name}/scans", status_code=202, response_model=ScanPublic)
def scan_source(ctx: CtxDep, who: Scanner, name: str) -> dict[str, Any]:
    return scans.start_scan(ctx, who, name)
