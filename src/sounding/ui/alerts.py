"""Alerts in the UI: the header's inbox bell (its unread count, polled by htmx), ``/inbox``
(notifications, mark read), ``/subscriptions`` (the reader's subscriptions: add, delete) and
the Subscribe/Unsubscribe button the asset, source and workflow pages load with htmx."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.events import EVENT_KINDS
from sounding.errors import InvalidInputError, NotFoundError
from sounding.features.alerts import service as alerts
from sounding.features.alerts.records import TARGET_KINDS
from sounding.ui.deps import CtxDep, UiReader
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
Kind = Annotated[str, Query(max_length=20)]
Ref = Annotated[str, Query(min_length=1, max_length=2000)]


@router.get("/alerts/badge")
def badge(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    """The header's bell with the reader's unread count (an htmx fragment, polled)."""
    unread = alerts.unread_count(ctx, web.principal)
    return render(request, "alerts/_bell.html", {"unread": unread}, web=web)


@router.get("/inbox")
def inbox(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    unread: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    found = alerts.inbox(
        ctx, web.principal, unread=unread, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    values = {"found": found, "unread_only": unread, "page": page, "per_page": PER_PAGE}
    return render(request, "alerts/inbox.html", values, web=web)


@router.post("/inbox/read-all")
def read_all(ctx: CtxDep, web: UiReader) -> Response:
    alerts.mark_all_read(ctx, web.principal)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{notification_id}/read")
def read_one(
    ctx: CtxDep,
    web: UiReader,
    notification_id: int,
    go: Annotated[bool, Form()] = False,
) -> Response:
    """Mark one read; with ``go``, open the page it is about."""
    if not 1 <= notification_id <= 2**31 - 1:
        raise NotFoundError(f"Notification {notification_id} not found in your inbox")
    note = alerts.mark_read(ctx, web.principal, notification_id)
    where = note.link if go and note.link and note.link.startswith("/") else "/inbox"
    return RedirectResponse(where, status_code=303)


def _button(
    request: Request, ctx: CtxDep, web: UiReader, kind: str, ref: str, *, error: str | None = None
) -> Response:
    state = alerts.target_state(ctx, web.principal, kind, ref)
    return render(request, "alerts/_button.html", {"state": state, "error": error}, web=web)


@router.get("/alerts/button")
def button(request: Request, ctx: CtxDep, web: UiReader, kind: Kind, ref: Ref) -> Response:
    """A page's Subscribe/Unsubscribe button (an htmx fragment)."""
    return _button(request, ctx, web, kind, ref)


@router.post("/alerts/button")
def toggle(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    kind: Annotated[str, Form(max_length=20)],
    ref: Annotated[str, Form(min_length=1, max_length=2000)],
    back: Annotated[str, Form(max_length=2000)] = "/subscriptions",
) -> Response:
    alerts.toggle(ctx, web.principal, kind, ref)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(back if back.startswith("/") else "/", status_code=303)
    return _button(request, ctx, web, kind, ref)


def _subscriptions(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    *,
    error: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    page = alerts.list_subscriptions(ctx, web.principal, limit=1000)
    values = {
        "subs": page,
        "kinds": TARGET_KINDS,
        "event_kinds": EVENT_KINDS,
        "error": error,
        "done": done,
    }
    return render(request, "alerts/subscriptions.html", values, web=web, status_code=status_code)


@router.get("/subscriptions")
def subscriptions(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _subscriptions(
        request, ctx, web, done={"add": "Subscribed.", "delete": "Deleted."}.get(done or "")
    )


@router.post("/subscriptions")
def add(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    kind: Annotated[str, Form(max_length=20)],
    ref: Annotated[str, Form(max_length=2000)] = "",
    events: Annotated[list[str] | None, Form()] = None,
    digest: Annotated[bool, Form()] = False,
) -> Response:
    try:
        alerts.subscribe(ctx, web.principal, kind, ref, events=events or [], digest=digest)
    except (InvalidInputError, NotFoundError) as exc:  # the form again, saying what to fix
        return _subscriptions(request, ctx, web, error=exc.message, status_code=422)
    return RedirectResponse("/subscriptions?done=add", status_code=303)


@router.post("/subscriptions/{subscription_id}/delete")
def delete(ctx: CtxDep, web: UiReader, subscription_id: int) -> Response:
    if not 1 <= subscription_id <= 2**31 - 1:
        raise NotFoundError(f"Subscription {subscription_id} not found")
    alerts.unsubscribe(ctx, web.principal, subscription_id)
    return RedirectResponse("/subscriptions?done=delete", status_code=303)
