"""``/data-products``: the list of data products (status, version, domain, ports) and each
product's page (description, SLA, owners, input and output ports, health rolled up from its
assets); stewards and admins create products, change their ports (a new version), publish and
deprecate them, and delete drafts. A refused form comes back with the reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import ConflictError, InvalidInputError
from sounding.features.data_products import service as products
from sounding.features.data_products.records import STATUSES, TRANSITIONS
from sounding.ui.deps import CtxDep, UiReader, UiWriter
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

MAX_LISTED = 500
DONE = {
    "create": "created as a draft",
    "edit": "saved",
    "published": "published",
    "deprecated": "deprecated",
    "delete": "deleted",
}
Refused = (InvalidInputError, ConflictError)


def _status(exc: InvalidInputError | ConflictError) -> int:
    return 409 if isinstance(exc, ConflictError) else 422


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace(",", "\n").splitlines() if x.strip()]


def _index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    *,
    status: str | None = None,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    items, total = products.list_products(
        ctx, web.principal, limit=MAX_LISTED, offset=0, status=status
    )
    values = {
        "items": items,
        "total": total,
        "status": status,
        "statuses": STATUSES,
        "done": DONE.get(done or ""),
        "error": error,
        "form": form or {},
    }
    return render(request, "data_products/index.html", values, web=web, status_code=status_code)


@router.get("/data-products")
def index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    status: Annotated[str | None, Query(max_length=20)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _index(request, ctx, web, status=(status or None), done=done)


@router.post("/data-products")
def create(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    domain: Annotated[str, Form(max_length=200)] = "",
    sla: Annotated[str, Form(max_length=2000)] = "",
    freshness_hours: Annotated[str, Form(max_length=10)] = "",
    owners: Annotated[str, Form(max_length=12_000)] = "",
    inputs: Annotated[str, Form(max_length=200_000)] = "",
    outputs: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    form = {
        "name": name,
        "description": description,
        "domain": domain,
        "sla": sla,
        "freshness_hours": freshness_hours,
        "owners": owners,
        "inputs": inputs,
        "outputs": outputs,
    }
    try:
        data: dict[str, Any] = {
            "name": name,
            "description": description,
            "domain": domain.strip() or None,
            "sla": sla,
            "owners": _lines(owners),
            "inputs": _lines(inputs),
            "outputs": _lines(outputs),
            "freshness_hours": _hours(freshness_hours),
        }
        made = products.create_product(ctx, web.principal, data)
    except Refused as exc:
        return _index(request, ctx, web, error=exc.message, form=form, status_code=_status(exc))
    return RedirectResponse(f"/data-products/{made.id}?done=create", status_code=303)


def _hours(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInputError("Freshness is a whole number of hours", field="freshness_hours")
    return int(text)


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
    product = products.get_product(ctx, web.principal, ref)
    values = {
        "p": product,
        "next_statuses": TRANSITIONS[product.status],
        "done": DONE.get(done or ""),
        "error": error,
    }
    return render(request, "data_products/product.html", values, web=web, status_code=status_code)


@router.get("/data-products/{ref}")
def product_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    ref: str,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if len(ref) > 200:
        raise InvalidInputError("A data product is named by its id or name (up to 200 characters)")
    return _page(request, ctx, web, ref, done=done)


@router.post("/data-products/{product_id}/edit")
def edit(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    product_id: int,
    description: Annotated[str, Form(max_length=20_000)] = "",
    domain: Annotated[str, Form(max_length=200)] = "",
    sla: Annotated[str, Form(max_length=2000)] = "",
    freshness_hours: Annotated[str, Form(max_length=10)] = "",
    owners: Annotated[str, Form(max_length=12_000)] = "",
    inputs: Annotated[str, Form(max_length=200_000)] = "",
    outputs: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Save the edit form; changed ports make a new version."""
    if not 1 <= product_id <= 2**62:
        raise InvalidInputError("A data product id is a positive integer", field="product_id")
    try:
        data = {
            "description": description,
            "domain": domain.strip() or None,
            "sla": sla,
            "freshness_hours": _hours(freshness_hours),
            "owners": _lines(owners),
            "inputs": _lines(inputs),
            "outputs": _lines(outputs),
        }
        products.update_product(ctx, web.principal, product_id, data)
    except Refused as exc:
        return _page(
            request, ctx, web, str(product_id), error=exc.message, status_code=_status(exc)
        )
    return RedirectResponse(f"/data-products/{product_id}?done=edit", status_code=303)


@router.post("/data-products/{product_id}/status")
def change_status(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    product_id: int,
    status: Annotated[str, Form(max_length=20)],
) -> Response:
    if not 1 <= product_id <= 2**62:
        raise InvalidInputError("A data product id is a positive integer", field="product_id")
    try:
        products.update_product(ctx, web.principal, product_id, {"status": status})
    except Refused as exc:
        return _page(
            request, ctx, web, str(product_id), error=exc.message, status_code=_status(exc)
        )
    return RedirectResponse(f"/data-products/{product_id}?done={status}", status_code=303)


@router.post("/data-products/{product_id}/delete")
def delete(request: Request, ctx: CtxDep, web: UiWriter, product_id: int) -> Response:
    if not 1 <= product_id <= 2**62:
        raise InvalidInputError("A data product id is a positive integer", field="product_id")
    try:
        products.delete_product(ctx, web.principal, product_id)
    except Refused as exc:
        return _page(
            request, ctx, web, str(product_id), error=exc.message, status_code=_status(exc)
        )
    return RedirectResponse("/data-products?done=delete", status_code=303)
