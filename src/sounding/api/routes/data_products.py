"""Data products: owned, versioned bundles of assets with input and output ports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader, Writer
from sounding.api.routing import api_router
from sounding.api.schemas.data_products import (
    DataProductCreate,
    DataProductDetailPublic,
    DataProductPage,
    DataProductUpdate,
    Status,
)
from sounding.features.data_products import service as products
from sounding.features.data_products.records import DataProductDetail

router = api_router("/data-products", tags=["data-products"])

Ref = Annotated[str, Path(min_length=1, max_length=200, description="The product's id or name")]


@router.get("", response_model=DataProductPage)
def list_products(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    status: Status | None = None,
    domain: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    items, total = products.list_products(
        ctx, who, limit=page.limit, offset=page.offset, q=q, status=status, domain=domain
    )
    return page.result(items, total)


@router.post("", status_code=201, response_model=DataProductDetailPublic)
def create_product(
    ctx: CtxDep, who: Writer, body: Annotated[DataProductCreate, Body()]
) -> DataProductDetail:
    """A new draft data product, version 1."""
    return products.create_product(ctx, who, body.model_dump(exclude_unset=True))


@router.get("/{ref}", response_model=DataProductDetailPublic)
def get_product(ctx: CtxDep, who: Reader, ref: Ref) -> DataProductDetail:
    """A product with its ports and its health (quality and compliance of its assets)."""
    return products.get_product(ctx, who, ref)


@router.patch("/{ref}", response_model=DataProductDetailPublic)
def update_product(
    ctx: CtxDep, who: Writer, ref: Ref, body: Annotated[DataProductUpdate, Body()]
) -> DataProductDetail:
    """Change fields, ports (a new version when they change) or status."""
    data = body.model_dump(exclude_unset=True)
    for key in ("name", "status", "inputs", "outputs", "owners"):
        if key in data and data[key] is None:
            data.pop(key)
    return products.update_product(ctx, who, ref, data)


@router.delete("/{ref}", status_code=204)
def delete_product(ctx: CtxDep, who: Writer, ref: Ref) -> Response:
    """Delete a draft or deprecated product (a published one is a 409)."""
    products.delete_product(ctx, who, ref)
    return Response(status_code=204)
