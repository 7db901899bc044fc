"""``/properties``: custom property definitions (typed properties assets carry, per asset
type), reached from the tag taxonomy page; stewards and admins define and delete them. A
refused form comes back with the reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.custom_properties import service as properties
from sounding.features.custom_properties.service import ASSET_TYPES, TYPES
from sounding.ui.deps import CtxDep, UiReader, UiWriter
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

DONE = {"create": "defined", "delete": "deleted"}
Refused = (InvalidInputError, ConflictError, NotFoundError)


def _index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    *,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    items, total = properties.list_properties(ctx, web.principal, limit=1000, offset=0)
    values = {
        "properties": items,
        "total": total,
        "types": TYPES,
        "asset_types": ASSET_TYPES,
        "done": DONE.get(done or ""),
        "error": error,
        "form": form or {},
    }
    return render(request, "properties/index.html", values, web=web, status_code=status_code)


@router.get("/properties")
def index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _index(request, ctx, web, done=done)


@router.post("/properties")
def create(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    name: Annotated[str, Form(max_length=63)] = "",
    type: Annotated[str, Form(max_length=20)] = "string",
    description: Annotated[str, Form(max_length=2000)] = "",
    allowed_values: Annotated[str, Form(max_length=20_000)] = "",
    asset_types: Annotated[list[str] | None, Form()] = None,
    required: Annotated[bool, Form()] = False,
) -> Response:
    values = [v.strip() for v in allowed_values.splitlines() if v.strip()]
    data: dict[str, Any] = {
        "name": name,
        "type": type,
        "description": description,
        "asset_types": asset_types or [],
        "required": required,
    }
    if values:
        data["allowed_values"] = values
    try:
        properties.create_property(ctx, web.principal, data)
    except Refused as exc:
        form = {**data, "allowed_values": allowed_values}
        code = 409 if isinstance(exc, ConflictError) else 422
        return _index(request, ctx, web, error=exc.message, form=form, status_code=code)
    return RedirectResponse("/properties?done=create", status_code=303)


@router.post("/properties/{name}/delete")
def delete(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    name: str,
    force: Annotated[bool, Form()] = False,
) -> Response:
    if len(name) > 63:
        raise InvalidInputError("A property's name has at most 63 characters", field="name")
    try:
        properties.delete_property(ctx, web.principal, name, force=force)
    except ConflictError as exc:
        return _index(request, ctx, web, error=exc.message, status_code=409)
    return RedirectResponse("/properties?done=delete", status_code=303)
