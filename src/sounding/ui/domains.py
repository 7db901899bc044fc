"""``/domains``: the domain tree with owners and counts, and each domain's page (its path,
description, owners, sub-domains and assets); stewards and admins create, edit and delete
domains here. A refused form (a taken name, a cycle) comes back with what to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import ConflictError, InvalidInputError
from sounding.features.domains import service as domains
from sounding.features.domains.records import Domain
from sounding.ui.deps import CtxDep, UiReader, UiWriter
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

MAX_LISTED = 1000  # domains on the tree page (an estate has tens, not thousands)
ASSETS_SHOWN = 100
DONE = {"create": "created", "edit": "saved", "delete": "deleted"}


@dataclass
class Node:
    domain: Domain
    children: list[Node] = field(default_factory=list)


def _tree(items: list[Domain]) -> list[Node]:
    nodes = {d.id: Node(d) for d in items}
    roots: list[Node] = []
    for d in items:
        parent = nodes.get(d.parent_id) if d.parent_id is not None else None
        (parent.children if parent else roots).append(nodes[d.id])
    return roots


def _all(ctx: CtxDep, web: UiReader) -> tuple[list[Domain], int]:
    return domains.list_domains(ctx, web.principal, limit=MAX_LISTED, offset=0)


def status_for(exc: InvalidInputError | ConflictError) -> int:
    return 409 if isinstance(exc, ConflictError) else 422


def _owners(text: str) -> list[str]:
    return [o.strip() for o in text.replace("\n", ",").split(",") if o.strip()]


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
    items, total = _all(ctx, web)
    values = {
        "tree": _tree(items),
        "names": [d.name for d in items],
        "total": total,
        "shown": len(items),
        "done": DONE.get(done or ""),
        "error": error,
        "form": form or {},
    }
    return render(request, "domains/index.html", values, web=web, status_code=status_code)


@router.get("/domains")
def index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _index(request, ctx, web, done=done)


@router.post("/domains")
def create(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    name: Annotated[str, Form(max_length=200)] = "",
    parent: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    owners: Annotated[str, Form(max_length=12_000)] = "",
) -> Response:
    """A new domain; its page is next. A refused one re-shows the form with the reason."""
    data: dict[str, Any] = {"name": name, "owners": _owners(owners)}
    if description.strip():
        data["description"] = description
    if parent.strip():
        data["parent"] = parent.strip()
    try:
        made = domains.create_domain(ctx, web.principal, data)
    except (InvalidInputError, ConflictError) as exc:
        form = {"name": name, "parent": parent, "description": description, "owners": owners}
        return _index(request, ctx, web, error=exc.message, form=form, status_code=status_for(exc))
    return RedirectResponse(f"/domains/{made.id}?done=create", status_code=303)


def _page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    ref: str,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    domain = domains.get_domain(ctx, web.principal, ref, asset_limit=ASSETS_SHOWN)
    items, _ = _all(ctx, web)
    below = {domain.id}
    changed = True
    while changed:  # the domain and its descendants: not offered as its new parent
        changed = False
        for d in items:
            if d.parent_id in below and d.id not in below:
                below.add(d.id)
                changed = True
    values = {
        "domain": domain,
        "parents": [d.name for d in items if d.id not in below],
        "ids": {d.name: d.id for d in items},
        "done": DONE.get(done or ""),
        "error": error,
        "assets_shown": ASSETS_SHOWN,
    }
    return render(request, "domains/domain.html", values, web=web, status_code=status_code)


@router.get("/domains/{ref}")
def domain_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    ref: str,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if len(ref) > 200:
        raise InvalidInputError("A domain is named by its id or name (up to 200 characters)")
    return _page(request, ctx, web, ref, done=done)


@router.post("/domains/{domain_id}/edit")
def edit(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    domain_id: int,
    name: Annotated[str, Form(max_length=200)] = "",
    parent: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    owners: Annotated[str, Form(max_length=12_000)] = "",
) -> Response:
    """Save the edit form: every field as shown (an empty parent moves it to the top)."""
    if not 1 <= domain_id <= 2**62:
        raise InvalidInputError("A domain id is a positive integer", field="domain_id")
    data = {
        "name": name,
        "parent": parent.strip() or None,
        "description": description,
        "owners": _owners(owners),
    }
    try:
        domains.update_domain(ctx, web.principal, domain_id, data)
    except (InvalidInputError, ConflictError) as exc:
        return _page(
            request, ctx, web, str(domain_id), error=exc.message, status_code=status_for(exc)
        )
    return RedirectResponse(f"/domains/{domain_id}?done=edit", status_code=303)


@router.post("/domains/{domain_id}/delete")
def delete(request: Request, ctx: CtxDep, web: UiWriter, domain_id: int) -> Response:
    """Delete an empty domain; a domain that still holds assets or sub-domains stays, and
    its page says why."""
    if not 1 <= domain_id <= 2**62:
        raise InvalidInputError("A domain id is a positive integer", field="domain_id")
    try:
        domains.delete_domain(ctx, web.principal, domain_id)
    except ConflictError as exc:
        return _page(
            request, ctx, web, str(domain_id), error=exc.message, status_code=status_for(exc)
        )
    return RedirectResponse("/domains?done=delete", status_code=303)
