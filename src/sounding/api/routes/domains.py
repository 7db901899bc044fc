"""Domains: named, owned areas of the business that assets belong to, nested."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader, Writer
from sounding.api.routing import api_router
from sounding.api.schemas.assets import AssetPage
from sounding.api.schemas.domains import (
    DomainCreate,
    DomainDetailPublic,
    DomainPage,
    DomainUpdate,
)
from sounding.features.domains import service as domains
from sounding.features.domains.records import DomainDetail
from sounding.services import catalog

router = api_router("/domains", tags=["domains"])

Ref = Annotated[str, Path(min_length=1, max_length=200, description="The domain's id or name")]


def _detail(item: DomainDetail) -> dict[str, Any]:
    """The detail with its assets in their public form (only the fields of their type)."""
    out = {name: getattr(item, name) for name in DomainDetail.__dataclass_fields__}
    out["assets"] = [a.public() for a in item.assets]
    return out


@router.get("", response_model=DomainPage)
def list_domains(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    parent: Annotated[
        str | None, Query(max_length=200, description="Only sub-domains of this one")
    ] = None,
    top: Annotated[bool, Query(description="Only domains without a parent")] = False,
    owner: Annotated[str | None, Query(max_length=200, description="Only theirs")] = None,
) -> dict[str, Any]:
    items, total = domains.list_domains(
        ctx,
        who,
        limit=page.limit,
        offset=page.offset,
        q=q,
        parent=parent,
        top=top,
        owner=owner,
    )
    return page.result(items, total)


@router.post(
    "", status_code=201, response_model=DomainDetailPublic, response_model_exclude_unset=True
)
def create_domain(
    ctx: CtxDep, who: Writer, body: Annotated[DomainCreate, Body()]
) -> dict[str, Any]:
    """A new domain; ``parent`` (name or id) nests it."""
    return _detail(domains.create_domain(ctx, who, body.model_dump(exclude_unset=True)))


@router.get("/{ref}", response_model=DomainDetailPublic, response_model_exclude_unset=True)
def get_domain(
    ctx: CtxDep,
    who: Reader,
    ref: Ref,
    asset_limit: Annotated[int, Query(ge=0, le=500, description="How many assets")] = 50,
) -> dict[str, Any]:
    """A domain with its path, its sub-domains and its first assets."""
    return _detail(domains.get_domain(ctx, who, ref, asset_limit=asset_limit))


@router.get("/{ref}/assets", response_model=AssetPage, response_model_exclude_unset=True)
def domain_assets(ctx: CtxDep, who: Reader, page: PageDep, ref: Ref) -> dict[str, Any]:
    """The domain's assets, a page at a time, by qualified name."""
    name = domains.get_domain(ctx, who, ref, asset_limit=0).name
    items, total = catalog.list_assets(
        ctx,
        who,
        limit=page.limit,
        offset=page.offset,
        domain=name,
        after=page.after(catalog.ASSET_ORDER),
    )
    return page.result([a.public() for a in items], total, catalog.ASSET_ORDER)


@router.patch("/{ref}", response_model=DomainDetailPublic, response_model_exclude_unset=True)
def update_domain(
    ctx: CtxDep, who: Writer, ref: Ref, body: Annotated[DomainUpdate, Body()]
) -> dict[str, Any]:
    """Rename, describe, re-own or move a domain (``parent``: null moves it to the top).
    Renaming renames it on its assets."""
    data = body.model_dump(exclude_unset=True)
    if "name" in data and data["name"] is None:
        data.pop("name")
    return _detail(domains.update_domain(ctx, who, ref, data))


@router.delete("/{ref}", status_code=204)
def delete_domain(ctx: CtxDep, who: Writer, ref: Ref) -> Response:
    """Delete an empty domain; one with assets or sub-domains is refused (409)."""
    domains.delete_domain(ctx, who, ref)
    return Response(status_code=204)
