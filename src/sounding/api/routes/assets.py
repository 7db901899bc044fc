"""/api/v1/assets: browse and curate the catalog."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from sounding.api.deps import AssetWriter, CtxDep, PageDep, Reader, Writer
from sounding.api.etags import IfMatch, tagged
from sounding.api.paging import OptionalIdQuery
from sounding.api.routing import api_router
from sounding.api.schemas import AssetDetailPublic, AssetPage, AssetUpdate
from sounding.api.schemas.curation import (
    AssetBulkResult,
    AssetBulkUpdate,
    AssetCreate,
    AssetDeleted,
)
from sounding.features.usage import service as usage
from sounding.services import bulk_curation, catalog, manual_assets
from sounding.services.bulk_curation import BulkChange, BulkResult

router = api_router("/assets", tags=["assets"])


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


@router.post(
    "",
    response_model=AssetDetailPublic,
    response_model_exclude_unset=True,
    status_code=201,
)
def create_asset(ctx: CtxDep, who: Writer, response: Response, body: AssetCreate) -> dict[str, Any]:
    """Create an asset no scanner finds (dashboard, chart, pipeline, ML model, API endpoint)
    in a source of kind ``manual`` (created on first use), with its lineage to and from
    other assets."""
    spec = manual_assets.ManualAssetSpec(
        **{**body.model_dump(), "tags": tuple(body.tags)}
        | {"upstream": tuple(body.upstream), "downstream": tuple(body.downstream)}
    )
    asset = manual_assets.create_asset(ctx, who, spec)
    return tagged(response, asset.public())


@router.post("/bulk", response_model=AssetBulkResult)
def bulk_update(ctx: CtxDep, who: AssetWriter, body: AssetBulkUpdate) -> BulkResult:
    """One change to many assets (by ``urns`` or a search), all or nothing, audited per
    asset; ``dry_run`` returns the before/after of each asset and writes nothing."""
    change = BulkChange(
        set=body.set.model_dump(exclude_unset=True),
        add_tags=tuple(body.add_tags),
        remove_tags=tuple(body.remove_tags),
        add_terms=tuple(body.add_terms),
        remove_terms=tuple(body.remove_terms),
    )
    return bulk_curation.bulk_update(
        ctx,
        who,
        change,
        query=body.query,
        filters=body.filters,
        urns=body.urns,
        dry_run=body.dry_run,
    )


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
    ctx: CtxDep,
    who: AssetWriter,
    response: Response,
    ref: str,
    body: AssetUpdate,
    if_match: IfMatch,
) -> dict[str, Any]:
    """Edit curated metadata: description, owner, steward, domain, tags, criticality, ...
    ``add_tags``/``remove_tags`` and ``add_terms``/``remove_terms`` change the lists as
    stored at the moment of the write, so concurrent edits all survive."""
    changes = body.model_dump(exclude_unset=True)
    asset = manual_assets.update_asset(ctx, who, ref, changes, if_match=if_match)
    return tagged(response, asset.public())


@router.delete("/{ref}", response_model=AssetDeleted)
def delete_asset(ctx: CtxDep, who: AssetWriter, ref: str, if_match: IfMatch) -> dict[str, Any]:
    """Delete an asset created by hand (and the assets under it, and its lineage edges);
    409 for an asset a scan found: the scan owns it."""
    return {"deleted": manual_assets.delete_asset(ctx, who, ref, if_match=if_match)}
