"""``/admin/channels`` and ``/admin/deliveries``: where alerts go and what became of them, for
admins (two more tabs of the administration pages).

- ``/admin/channels``: the channels (webhook, Slack, e-mail) with their target, rate and
  state; create one, edit or delete it, and **Send test** (enqueued and sent by the server's
  delivery worker; the answer goes to the delivery log, filtered on that channel).
- ``/admin/deliveries``: the delivery log, newest first, filtered by channel and status,
  paged; it reloads itself (htmx) while something shown is pending.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.delivery import MAX_RATE, MIN_RATE, ChannelKind, DeliveryStatus
from sounding.errors import ConflictError, InvalidInputError, NotFoundError, SoundingError
from sounding.services import delivery, delivery_channels
from sounding.services.delivery_channels import ChannelInput
from sounding.ui.admin import MAX_PAGE, PAGE_SIZE, _admin_page, _page, _status
from sounding.ui.deps import CtxDep, UiAdmin

router = APIRouter(include_in_schema=False)

KINDS = tuple(k.value for k in ChannelKind)
STATUSES = tuple(s.value for s in DeliveryStatus)
DONE = {
    "created": "was created",
    "saved": "was saved",
    "deleted": "was deleted; its deliveries stay in the log",
    "test": "got a test message: see below how it went",
}
Refused = (InvalidInputError, ConflictError, NotFoundError)


def _addresses(text: str) -> list[str]:
    """One address a line (commas work too)."""
    return [a.strip() for a in text.replace(",", "\n").splitlines() if a.strip()]


def _rate(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(
            f"rate_per_minute must be a whole number from {MIN_RATE} to {MAX_RATE}",
            field="rate_per_minute",
        ) from None


def _channels_page(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    *,
    form: dict[str, Any] | None = None,
    error: SoundingError | None = None,
    editing: str | None = None,
) -> Response:
    done = request.query_params.get("done")
    values = {
        "channels": delivery_channels.list_channels(ctx, web.principal),
        "kinds": KINDS,
        "min_rate": MIN_RATE,
        "max_rate": MAX_RATE,
        "form": form or {"name": "", "kind": "webhook", "url": "", "addresses": "", "rate": 60},
        "editing": editing,
        "error": error.message if error else None,
        "error_field": error.details.get("field") if error else None,
        "done": DONE.get(done or ""),
        "done_channel": request.query_params.get("channel"),
    }
    return _admin_page(
        request, web, "admin/channels.html", values, _status(error) if error else 200
    )


@router.get("/admin/channels")
def channels(request: Request, ctx: CtxDep, web: UiAdmin) -> Response:
    return _channels_page(request, ctx, web)


@router.post("/admin/channels")
def create_channel(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    name: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=20)] = "webhook",
    url: Annotated[str, Form(max_length=2000)] = "",
    addresses: Annotated[str, Form(max_length=20_000)] = "",
    secret: Annotated[str, Form(max_length=500)] = "",
    rate: Annotated[str, Form(max_length=10)] = "60",
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    name = name.strip()
    form = {"name": name, "kind": kind, "url": url, "addresses": addresses, "rate": rate}
    try:
        given = ChannelInput(
            kind=kind,
            url=url.strip() or None,
            addresses=_addresses(addresses),
            secret=secret or None,
            rate_per_minute=_rate(rate),
            enabled=bool(enabled),
        )
        delivery_channels.create_channel(ctx, web.principal, name, given)
    except Refused as exc:
        return _channels_page(request, ctx, web, form=form, error=exc)
    return RedirectResponse(f"/admin/channels?done=created&channel={quote(name)}", status_code=303)


@router.post("/admin/channels/{name}/edit")
def edit_channel(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    name: str,
    kind: Annotated[str, Form(max_length=20)] = "webhook",
    url: Annotated[str, Form(max_length=2000)] = "",
    addresses: Annotated[str, Form(max_length=20_000)] = "",
    secret: Annotated[str, Form(max_length=500)] = "",
    remove_secret: Annotated[str, Form(max_length=10)] = "",
    rate: Annotated[str, Form(max_length=10)] = "60",
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Save the edit form: a blank secret keeps the stored one."""
    try:
        fields: dict[str, Any] = {
            "kind": kind,
            "url": url.strip() or None,
            "addresses": _addresses(addresses),
            "rate_per_minute": _rate(rate),
            "enabled": bool(enabled),
        }
        if remove_secret:
            fields["secret"] = None
        elif secret:
            fields["secret"] = secret
        delivery_channels.update_channel(ctx, web.principal, name, ChannelInput(**fields))
    except Refused as exc:
        return _channels_page(request, ctx, web, error=exc, editing=name)
    return RedirectResponse(f"/admin/channels?done=saved&channel={quote(name)}", status_code=303)


@router.post("/admin/channels/{name}/delete")
def delete_channel(request: Request, ctx: CtxDep, web: UiAdmin, name: str) -> Response:
    try:
        delivery_channels.delete_channel(ctx, web.principal, name)
    except NotFoundError as exc:
        return _channels_page(request, ctx, web, error=exc)
    return RedirectResponse(f"/admin/channels?done=deleted&channel={quote(name)}", status_code=303)


@router.post("/admin/channels/{name}/test")
def test_channel(request: Request, ctx: CtxDep, web: UiAdmin, name: str) -> Response:
    try:
        sent = delivery.send_test(ctx, web.principal, name)
    except NotFoundError as exc:
        return _channels_page(request, ctx, web, error=exc)
    target = f"/admin/deliveries?channel={quote(name)}&done=test&id={sent.id}"
    return RedirectResponse(target, status_code=303)


@router.get("/admin/deliveries")
def deliveries(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    channel: Annotated[str, Query(max_length=300)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    error: SoundingError | None = None
    name, state = channel.strip() or None, status or None
    try:
        first = delivery.list_deliveries(ctx, web.principal, channel=name, status=state, limit=1)
        page, pages = _page(page, first.total)
        found = delivery.list_deliveries(
            ctx,
            web.principal,
            channel=name,
            status=state,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        items, total = found.items, found.total
    except InvalidInputError as exc:
        error, items, total, pages = exc, [], 0, 1
    done = request.query_params.get("done")
    values = {
        "items": items,
        "total": total,
        "page": page,
        "pages": pages,
        "statuses": STATUSES,
        "channel_names": [c.name for c in delivery_channels.list_channels(ctx, web.principal)],
        "form": {"channel": channel, "status": status},
        "filtered": bool(channel or status),
        "pending": any(d.status is DeliveryStatus.PENDING for d in items),
        "error": error.message if error else None,
        "error_field": error.details.get("field") if error else None,
        "done": DONE.get(done or ""),
        "done_channel": channel,
        "done_id": request.query_params.get("id"),
    }
    return _admin_page(request, web, "admin/deliveries.html", values, 422 if error else 200)
