"""Subscriptions and the inbox: every route needs ``catalog:read``; a caller manages their own
subscriptions and inbox (another user's answers 404), an admin may list everyone's
subscriptions (``?all=true``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Response

from sounding.api.deps import CtxDep, PageDep, Reader
from sounding.api.routing import api_router
from sounding.api.schemas.alerts import (
    MarkedRead,
    NotificationPage,
    NotificationPublic,
    SubscriptionCreate,
    SubscriptionPage,
    SubscriptionPublic,
    UnreadCount,
)
from sounding.features.alerts import service as alerts
from sounding.features.alerts.records import Notification, Subscription

router = api_router(tags=["alerts"])

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/subscriptions", response_model=SubscriptionPage)
def list_subscriptions(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    everyone: Annotated[bool, Query(alias="all", description="Every user's (admins only)")] = False,
) -> dict[str, Any]:
    """The caller's subscriptions (owners' defaults are implied, not listed)."""
    found = alerts.list_subscriptions(
        ctx, who, everyone=everyone, limit=page.limit, offset=page.offset
    )
    return page.result(found.items, found.total)


@router.post("/subscriptions", status_code=201, response_model=SubscriptionPublic)
def subscribe(
    ctx: CtxDep, who: Reader, body: Annotated[SubscriptionCreate, Body()]
) -> Subscription:
    """Subscribe to an asset, domain, source, saved search or workflow."""
    return alerts.subscribe(
        ctx,
        who,
        body.target_kind,
        body.target,
        events=body.events,
        channels=body.channels,
        digest=body.digest,
        muted=body.muted,
    )


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionPublic)
def get_subscription(ctx: CtxDep, who: Reader, subscription_id: RowId) -> Subscription:
    return alerts.get_subscription(ctx, who, subscription_id)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(ctx: CtxDep, who: Reader, subscription_id: RowId) -> Response:
    """Unsubscribe (an owner's default comes back: mute it with ``muted`` instead)."""
    alerts.unsubscribe(ctx, who, subscription_id)
    return Response(status_code=204)


@router.get("/inbox", response_model=NotificationPage)
def inbox(
    ctx: CtxDep,
    who: Reader,
    page: PageDep,
    unread: Annotated[bool, Query(description="Only unread notifications")] = False,
) -> dict[str, Any]:
    """The caller's notifications, newest first."""
    found = alerts.inbox(ctx, who, unread=unread, limit=page.limit, offset=page.offset)
    return {**page.result(found.items, found.total), "unread": found.unread}


@router.get("/inbox/unread-count", response_model=UnreadCount)
def unread_count(ctx: CtxDep, who: Reader) -> dict[str, int]:
    return {"unread": alerts.unread_count(ctx, who)}


@router.post("/inbox/read-all", response_model=MarkedRead)
def read_all(ctx: CtxDep, who: Reader) -> dict[str, int]:
    """Mark every notification of the caller read."""
    return {"marked": alerts.mark_all_read(ctx, who)}


@router.post("/inbox/{notification_id}/read", response_model=NotificationPublic)
def mark_read(ctx: CtxDep, who: Reader, notification_id: RowId) -> Notification:
    return alerts.mark_read(ctx, who, notification_id)
