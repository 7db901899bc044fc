"""/api/v1/assets: browse and curate the catalog."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader, Writer
from sounding.api.etags import IfMatch, tagged
from sounding.api.paging import OptionalIdQuery
from sounding.api.schemas import AssetDetailPublic, AssetPage, AssetUpdate
from sounding.features.usage import service as usage
from sounding.services import catalog

router = APIRouter(prefix="/assets", tags=["assets"])


# exclude_unset: an asset shows only the fields of its type (no column fields on a table)
@router.get("", response_model=AssetPage, response_model_exclude_unset=True)
def list_assets(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    type: Annotated[str | None, Query(description="source, database, schema, table, ...")] = None,
    source: Annotated[str | None, Query(description="Source name")] = None,
    parent_id: OptionalIdQuery = None,
    q: Annotated[str | None, Query(description="Name prefix or qualified-name part")] = None,
    tag: str | None = None,
    domain: Annotated[
        str | None, Query(max_length=200, description="Only assets of this domain (its name)")
    ] = None,
    include_deleted: bool = False,
) -> dict[str, Any]:
    items, total = catalog.list_assets(
        ctx,
        who,
        limit=page.limit,
        offset=page.offset,
        source=source,
        type=type,
        parent_id=parent_id,
        q=q,
        tag=tag,
        include_deleted=include_deleted,
        after=page.after(catalog.ASSET_ORDER),
        domain=domain,
    )
    return page.result([a.public() for a in items], total, catalog.ASSET_ORDER)


@router.get("/by-urn", response_model=AssetDetailPublic, response_model_exclude_unset=True)
def get_asset_by_urn(
    ctx: CtxDep, who: Reader, response: Response, urn: str, include_deleted: bool = False
) -> dict[str, Any]:
    """Any asset by URN (use this form for URNs that contain '/')."""
    asset = catalog.get_asset(ctx, who, urn, include_deleted)
    usage.record_view(ctx, who, asset.id)  # counted in memory; no write on this read
    return tagged(response, asset.public())


@router.get("/{ref}", response_model=AssetDetailPublic, response_model_exclude_unset=True)
def get_asset(
    ctx: CtxDep, who: Reader, response: Response, ref: str, include_deleted: bool = False
) -> dict[str, Any]:
    """An asset by id or URN, with its columns/children, glossary terms and last discovery
    events; its ETag in the ``ETag`` header."""
    asset = catalog.get_asset(ctx, who, ref, include_deleted)
    usage.record_view(ctx, who, asset.id)  # counted in memory; no write on this read
    return tagged(response, asset.public())


@router.patch("/{ref}", response_model=AssetDetailPublic, response_model_exclude_unset=True)
def update_asset(
    ctx: CtxDep, who: Writer, response: Response, ref: str, body: AssetUpdate, if_match: IfMatch
) -> dict[str, Any]:
    """Edit curated metadata: description, owner, steward, domain, tags, criticality, ...
    ``add_tags``/``remove_tags`` and ``add_terms``/``remove_terms`` change the lists as
    stored at the moment of the write, so concurrent edits all survive."""
    changes = body.model_dump(exclude_unset=True)
    asset = catalog.update_asset(ctx, who, ref, changes, if_match=if_match)
    return tagged(response, asset.public())
