"""``/collections``: the reader's collections and those shared with them, each collection's
page (its assets, removed ones marked, with edit, share and delete for its owner), and the
"Add to collection" control the asset page loads with htmx."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import ConflictError, InvalidInputError
from sounding.features.collections import service as collections
from sounding.services import catalog
from sounding.ui.deps import CtxDep, UiReader
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

LISTED = 500  # collections per list (a user owns at most 500)
PER_PAGE = 100  # assets per page of a collection
DONE = {"create": "created", "edit": "saved", "share": "shared", "delete": "deleted"}
DONE_ITEMS = {"remove": "Asset taken out of the collection."}


def _status(exc: InvalidInputError | ConflictError) -> int:
    return 409 if isinstance(exc, ConflictError) else 422


def _users(text: str) -> list[str]:
    return [u.strip() for u in text.replace("\n", ",").split(",") if u.strip()]


def _check_id(collection_id: int) -> None:
    if not 1 <= collection_id <= 2**31 - 1:
        raise InvalidInputError("A collection id is a positive integer", field="collection_id")


def _check_asset_id(asset_id: int) -> None:
    if not 1 <= asset_id <= 2**62:
        raise InvalidInputError("An asset id is a positive integer", field="asset_id")


def _index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    *,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    mine, mine_total = collections.list_collections(
        ctx, web.principal, limit=LISTED, offset=0, scope="mine"
    )
    shared, shared_total = collections.list_collections(
        ctx, web.principal, limit=LISTED, offset=0, scope="shared"
    )
    values = {
        "mine": mine,
        "mine_total": mine_total,
        "shared": shared,
        "shared_total": shared_total,
        "done": DONE.get(done or ""),
        "error": error,
        "form": form or {},
    }
    return render(request, "collections/index.html", values, web=web, status_code=status_code)


@router.get("/collections")
def index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _index(request, ctx, web, done=done)


@router.post("/collections")
def create(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    visibility: Annotated[Literal["private", "shared", "users"], Form()] = "private",
    shared_with: Annotated[str, Form(max_length=12_000)] = "",
) -> Response:
    """A new collection; its page is next. A refused one re-shows the form with why."""
    data: dict[str, Any] = {"name": name, "visibility": visibility}
    if description.strip():
        data["description"] = description
    if visibility == "users":
        data["shared_with"] = _users(shared_with)
    try:
        made = collections.create_collection(ctx, web.principal, data)
    except (InvalidInputError, ConflictError) as exc:
        form = {
            "name": name,
            "description": description,
            "visibility": visibility,
            "shared_with": shared_with,
        }
        return _index(request, ctx, web, error=exc.message, form=form, status_code=_status(exc))
    return RedirectResponse(f"/collections/{made.id}?done=create", status_code=303)


@router.get("/collections/for-asset/{asset_id}")
def for_asset(request: Request, ctx: CtxDep, web: UiReader, asset_id: int) -> Response:
    """The asset page's "Add to collection" control (an htmx fragment)."""
    _check_asset_id(asset_id)
    return _control(request, ctx, web, asset_id)


@router.post("/collections/for-asset/{asset_id}")
def add_from_asset(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    asset_id: int,
    collection_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    new_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add the asset to one of the reader's collections, or to a new one named here."""
    _check_asset_id(asset_id)
    asset = catalog.get_asset(ctx, web.principal, asset_id, children=False)
    try:
        if new_name.strip():
            made = collections.create_collection(ctx, web.principal, {"name": new_name})
            collection_id = made.id
        if collection_id is None:
            raise InvalidInputError("Pick a collection, or name a new one", field="collection_id")
        done = collections.add_items(ctx, web.principal, collection_id, [asset.urn])
    except (InvalidInputError, ConflictError) as exc:
        return _control(request, ctx, web, asset_id, error=exc.message)
    name = done.collection.name
    message = f"Added to {name}." if done.added else f"Already in {name}."
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/assets/{asset_id}", status_code=303)
    return _control(request, ctx, web, asset_id, message=message)


def _control(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    asset_id: int,
    *,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    asset = catalog.get_asset(ctx, web.principal, asset_id, children=False)
    held = collections.holding(ctx, web.principal, asset.id)
    values = {"asset": asset, "held": held, "message": message, "error": error}
    return render(request, "collections/_add.html", values, web=web)


def _page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    collection_id: int,
    *,
    page: int = 1,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    collection, items = collections.list_items(
        ctx, web.principal, collection_id, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    values = {
        "collection": collection,
        "items": items,
        "page": page,
        "pages": max(1, -(-collection.item_count // PER_PAGE)),
        "done": DONE.get(done or ""),
        "done_items": DONE_ITEMS.get(done or ""),
        "error": error,
    }
    return render(request, "collections/collection.html", values, web=web, status_code=status_code)


@router.get("/collections/{collection_id}")
def collection_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    collection_id: int,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    _check_id(collection_id)
    return _page(request, ctx, web, collection_id, page=page, done=done)


@router.post("/collections/{collection_id}/edit")
def edit(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    collection_id: int,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    _check_id(collection_id)
    try:
        collections.update_collection(
            ctx, web.principal, collection_id, {"name": name, "description": description}
        )
    except (InvalidInputError, ConflictError) as exc:
        return _page(request, ctx, web, collection_id, error=exc.message, status_code=_status(exc))
    return RedirectResponse(f"/collections/{collection_id}?done=edit", status_code=303)


@router.post("/collections/{collection_id}/share")
def share(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    collection_id: int,
    visibility: Annotated[Literal["private", "shared", "users"], Form()] = "private",
    shared_with: Annotated[str, Form(max_length=12_000)] = "",
) -> Response:
    _check_id(collection_id)
    data: dict[str, Any] = {"visibility": visibility}
    if visibility == "users":
        data["shared_with"] = _users(shared_with)
    try:
        collections.update_collection(ctx, web.principal, collection_id, data)
    except (InvalidInputError, ConflictError) as exc:
        return _page(request, ctx, web, collection_id, error=exc.message, status_code=_status(exc))
    return RedirectResponse(f"/collections/{collection_id}?done=share", status_code=303)


@router.post("/collections/{collection_id}/remove")
def remove(
    ctx: CtxDep,
    web: UiReader,
    collection_id: int,
    urn: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    _check_id(collection_id)
    collections.remove_items(ctx, web.principal, collection_id, [urn])
    return RedirectResponse(f"/collections/{collection_id}?done=remove", status_code=303)


@router.post("/collections/{collection_id}/delete")
def delete(ctx: CtxDep, web: UiReader, collection_id: int) -> Response:
    _check_id(collection_id)
    collections.delete_collection(ctx, web.principal, collection_id)
    return RedirectResponse("/collections?done=delete", status_code=303)
