"""/api/v1/channels and /api/v1/deliveries: where alerts go and what became of them (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response

from sounding.api.deps import Admin, CtxDep, PageDep
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas.delivery import (
    ChannelCreate,
    ChannelList,
    ChannelPublic,
    ChannelUpdate,
    DeliveryPage,
    DeliveryPublic,
    Status,
)
from sounding.domain.delivery import Channel, Delivery
from sounding.services import delivery, delivery_channels
from sounding.services.delivery_channels import ChannelInput

router = api_router(tags=["delivery"])
ChannelName = Annotated[str, Path(max_length=100, description="The channel's name")]


@router.get("/channels", response_model=ChannelList)
def list_channels(ctx: CtxDep, who: Admin) -> dict[str, Any]:
    items = delivery_channels.list_channels(ctx, who)
    return {"items": items, "total": len(items)}


@router.post("/channels", status_code=201, response_model=ChannelPublic)
def create_channel(ctx: CtxDep, who: Admin, body: ChannelCreate) -> Channel:
    given = ChannelInput(
        kind=body.kind,
        url=body.url,
        addresses=body.addresses,
        secret=body.secret,
        rate_per_minute=body.rate_per_minute,
        enabled=body.enabled,
    )
    return delivery_channels.create_channel(ctx, who, body.name, given)


@router.get("/channels/{name}", response_model=ChannelPublic)
def get_channel(ctx: CtxDep, who: Admin, name: ChannelName) -> Channel:
    return delivery_channels.get_channel(ctx, who, name)


@router.patch("/channels/{name}", response_model=ChannelPublic)
def update_channel(ctx: CtxDep, who: Admin, name: ChannelName, body: ChannelUpdate) -> Channel:
    # only the fields sent change; null clears url, addresses or the secret
    given = ChannelInput(**{f: getattr(body, f) for f in body.model_fields_set})
    return delivery_channels.update_channel(ctx, who, name, given)


@router.delete("/channels/{name}", status_code=204)
def delete_channel(ctx: CtxDep, who: Admin, name: ChannelName) -> Response:
    delivery_channels.delete_channel(ctx, who, name)
    return Response(status_code=204)


@router.post("/channels/{name}/test", status_code=202, response_model=DeliveryPublic)
def test_channel(ctx: CtxDep, who: Admin, name: ChannelName) -> Delivery:
    return delivery.send_test(ctx, who, name)


@router.get("/deliveries", response_model=DeliveryPage)
def list_deliveries(
    ctx: CtxDep,
    who: Admin,
    page: PageDep,
    channel: Annotated[str | None, Query(max_length=300)] = None,
    status: Annotated[Status | None, Query()] = None,
) -> dict[str, Any]:
    found = delivery.list_deliveries(
        ctx, who, channel=channel, status=status, limit=page.limit, offset=page.offset
    )
    return page.result(list(found.items), found.total)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryPublic)
def get_delivery(ctx: CtxDep, who: Admin, delivery_id: Id) -> Delivery:
    return delivery.get_delivery(ctx, who, delivery_id)
