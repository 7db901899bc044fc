"""Custom properties: typed definitions (string, number, enum, date, user, URL) of the
``custom_properties`` assets carry, per asset type."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader, Writer
from sounding.api.routing import api_router
from sounding.api.schemas.custom_properties import (
    AssetTypeName,
    PropertyCreate,
    PropertyPage,
    PropertyPublic,
    PropertyUpdate,
)
from sounding.features.custom_properties import service as properties
from sounding.features.custom_properties.records import PropertyDefinition

router = api_router("/custom-properties", tags=["custom-properties"])

Name = Annotated[str, Path(min_length=1, max_length=63, description="The property's name")]


@router.get("", response_model=PropertyPage)
def list_properties(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    asset_type: Annotated[
        AssetTypeName | None, Query(description="Only those an asset of this type may carry")
    ] = None,
) -> dict[str, Any]:
    items, total = properties.list_properties(
        ctx, who, limit=page.limit, offset=page.offset, asset_type=asset_type
    )
    return page.result(items, total)


@router.post("", status_code=201, response_model=PropertyPublic)
def create_property(
    ctx: CtxDep, who: Writer, body: Annotated[PropertyCreate, Body()]
) -> PropertyDefinition:
    """Define a property; values assets already hold under its name are kept as they are."""
    return properties.create_property(ctx, who, body.model_dump(exclude_unset=True))


@router.get("/{name}", response_model=PropertyPublic)
def get_property(ctx: CtxDep, who: Reader, name: Name) -> PropertyDefinition:
    return properties.get_property(ctx, who, name)


@router.patch("/{name}", response_model=PropertyPublic)
def update_property(
    ctx: CtxDep, who: Writer, name: Name, body: Annotated[PropertyUpdate, Body()]
) -> PropertyDefinition:
    """Describe it, change its allowed values, asset types or required flag."""
    data = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "description" in body.model_fields_set:
        data["description"] = body.description
    return properties.update_property(ctx, who, name, data)


@router.delete("/{name}", status_code=204)
def delete_property(
    ctx: CtxDep,
    who: Writer,
    name: Name,
    force: Annotated[
        bool, Query(description="Also when assets hold values: removes those values")
    ] = False,
) -> Response:
    """Delete a definition; refused (409, saying how many assets hold values) unless
    ``force=true``."""
    properties.delete_property(ctx, who, name, force=force)
    return Response(status_code=204)
