"""Collections: named lists of assets a catalog reader keeps for themselves or shares.

Every route needs ``catalog:read``; the service answers 404 for a collection the caller may
not see and 403 when someone other than its owner (or an admin) changes it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Path, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader
from sounding.api.routing import api_router
from sounding.api.schemas.collections import (
    CollectionCreate,
    CollectionItemPage,
    CollectionItemsAdd,
    CollectionItemsAdded,
    CollectionItemsRemove,
    CollectionItemsRemoved,
    CollectionPage,
    CollectionPublic,
    CollectionUpdate,
)
from sounding.features.collections import service as collections
from sounding.features.collections.records import Collection, ItemsAdded, ItemsRemoved

router = api_router("/collections", tags=["collections"])

CollectionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The collection's id")]


@router.get("", response_model=CollectionPage)
def list_collections(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    scope: Annotated[
        Literal["all", "mine", "shared"],
        Query(description="mine, shared with me, or both (all; mine first)"),
    ] = "all",
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
) -> dict[str, Any]:
    """The caller's collections and those shared with them."""
    items, total = collections.list_collections(
        ctx, who, limit=page.limit, offset=page.offset, scope=scope, q=q
    )
    return page.result(items, total)


@router.post("", status_code=201, response_model=CollectionPublic)
def create_collection(
    ctx: CtxDep, who: Reader, body: Annotated[CollectionCreate, Body()]
) -> Collection:
    """A new, empty collection owned by the caller."""
    return collections.create_collection(ctx, who, body.model_dump(exclude_unset=True))


@router.get("/{collection_id}", response_model=CollectionPublic)
def get_collection(ctx: CtxDep, who: Reader, collection_id: CollectionId) -> Collection:
    return collections.get_collection(ctx, who, collection_id)


@router.patch("/{collection_id}", response_model=CollectionPublic)
def update_collection(
    ctx: CtxDep,
    who: Reader,
    collection_id: CollectionId,
    body: Annotated[CollectionUpdate, Body()],
) -> Collection:
    """Rename, describe or share it (owner or admin)."""
    data = body.model_dump(exclude_unset=True)
    for key in ("name", "visibility", "shared_with"):
        if key in data and data[key] is None:
            data.pop(key)
    return collections.update_collection(ctx, who, collection_id, data)


@router.delete("/{collection_id}", status_code=204)
def delete_collection(ctx: CtxDep, who: Reader, collection_id: CollectionId) -> Response:
    """Delete it and its list (owner or admin); the assets are not touched."""
    collections.delete_collection(ctx, who, collection_id)
    return Response(status_code=204)


@router.get("/{collection_id}/items", response_model=CollectionItemPage)
def list_items(
    ctx: CtxDep, who: Reader, page: PageDep, collection_id: CollectionId
) -> dict[str, Any]:
    """The collection and a page of its assets, in the order they were added."""
    collection, items = collections.list_items(
        ctx, who, collection_id, limit=page.limit, offset=page.offset
    )
    return {**page.result(items, collection.item_count), "collection": collection}


@router.post("/{collection_id}/items", response_model=CollectionItemsAdded)
def add_items(
    ctx: CtxDep,
    who: Reader,
    collection_id: CollectionId,
    body: Annotated[CollectionItemsAdd, Body()],
) -> ItemsAdded:
    """Append assets by URN (all or none: an unknown URN is a 400 and nothing is added)."""
    return collections.add_items(ctx, who, collection_id, body.urns, note=body.note)


@router.post("/{collection_id}/items/remove", response_model=CollectionItemsRemoved)
def remove_items(
    ctx: CtxDep,
    who: Reader,
    collection_id: CollectionId,
    body: Annotated[CollectionItemsRemove, Body()],
) -> ItemsRemoved:
    """Take assets out by URN."""
    return collections.remove_items(ctx, who, collection_id, body.urns)
