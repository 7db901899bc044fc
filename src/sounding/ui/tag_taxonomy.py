"""``/taxonomy``: the tag taxonomy (groups, their tags with descriptions, who may apply them);
stewards and admins create groups, add tags to them and delete them. A refused form comes
back with the reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.auth import Role
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.tag_taxonomy import service as taxonomy
from sounding.ui.deps import CtxDep, UiReader, UiWriter
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

DONE = {"create": "created", "add": "saved", "delete": "deleted"}
Refused = (InvalidInputError, ConflictError, NotFoundError)


def _tags(text: str) -> list[dict[str, Any]]:
    """One tag a line: ``name`` or ``name: description``."""
    out = []
    for line in text.splitlines():
        name, _, description = line.partition(":")
        if name.strip():
            out.append({"name": name.strip(), "description": description.strip() or None})
    return out


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
    items, total = taxonomy.list_groups(ctx, web.principal, limit=1000, offset=0)
    values = {
        "groups": items,
        "total": total,
        "roles": [r.value for r in Role],
        "done": DONE.get(done or ""),
        "error": error,
        "form": form or {},
    }
    return render(request, "tags/index.html", values, web=web, status_code=status_code)


@router.get("/taxonomy")
def index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _index(request, ctx, web, done=done)


@router.post("/taxonomy")
def create(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    name: Annotated[str, Form(max_length=99)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    tags: Annotated[str, Form(max_length=100_000)] = "",
    apply_roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    data = {
        "name": name,
        "description": description,
        "tags": _tags(tags),
        "apply_roles": apply_roles or [],
    }
    try:
        taxonomy.create_group(ctx, web.principal, data)
    except Refused as exc:
        form = {"name": name, "description": description, "tags": tags, "roles": apply_roles}
        code = 409 if isinstance(exc, ConflictError) else 422
        return _index(request, ctx, web, error=exc.message, form=form, status_code=code)
    return RedirectResponse("/taxonomy?done=create", status_code=303)


@router.post("/taxonomy/{group}/add")
def add(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    group: str,
    tags: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    if len(group) > 99:
        raise InvalidInputError("A tag group's name has at most 99 characters", field="group")
    try:
        taxonomy.update_group(ctx, web.principal, group, {"add_tags": _tags(tags)})
    except Refused as exc:
        code = 404 if isinstance(exc, NotFoundError) else 422
        return _index(request, ctx, web, error=exc.message, status_code=code)
    return RedirectResponse("/taxonomy?done=add", status_code=303)


@router.post("/taxonomy/{group}/delete")
def delete(ctx: CtxDep, web: UiWriter, group: str) -> Response:
    if len(group) > 99:
        raise InvalidInputError("A tag group's name has at most 99 characters", field="group")
    taxonomy.delete_group(ctx, web.principal, group)
    return RedirectResponse("/taxonomy?done=delete", status_code=303)
