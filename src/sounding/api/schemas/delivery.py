"""Request and response bodies of ``/api/v1/channels`` and ``/api/v1/deliveries``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sounding.api.validation import RequestModel

Kind = Literal["webhook", "slack", "email"]
Status = Literal["pending", "delivered", "failed"]


class ChannelCreate(RequestModel):
    name: str = Field(
        min_length=1, max_length=100, description="1-100 letters, digits, '_', '-' or '.'"
    )
    kind: Kind = Field(
        default="webhook",
        description="webhook (generic JSON), slack (incoming-webhook body) or email",
    )
    url: str | None = Field(
        default=None, max_length=2000, description="http(s) URL; webhook and slack"
    )
    addresses: list[str] = Field(
        default_factory=list, max_length=50, description="E-mail addresses; email only"
    )
    secret: str | None = Field(
        default=None,
        max_length=500,
        description="Signing secret of X-Sounding-Signature; stored encrypted, shown as ***",
    )
    rate_per_minute: int = Field(default=60, ge=1, le=600)
    enabled: bool = True


class ChannelUpdate(RequestModel):
    """Fields to change; ``"secret": null`` removes the signing secret."""

    kind: Kind | None = None
    url: str | None = Field(default=None, max_length=2000)
    addresses: list[str] | None = Field(default=None, max_length=50)
    secret: str | None = Field(default=None, max_length=500)
    rate_per_minute: int | None = Field(default=None, ge=1, le=600)
    enabled: bool | None = None


class ChannelPublic(BaseModel):
    name: str
    kind: Kind
    url: str | None
    addresses: list[str]
    secret: str | None = Field(description="'***' when a signing secret is set, else null")
    rate_per_minute: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ChannelList(BaseModel):
    items: list[ChannelPublic]
    total: int


class DeliveryPublic(BaseModel):
    id: int
    channel: str
    dedup_key: str
    subject: str
    status: Status
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried next (pending)")
    last_error: str | None
    last_http_status: int | None
    link: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    total: int
    next_cursor: str | None = None
