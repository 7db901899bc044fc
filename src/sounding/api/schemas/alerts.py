"""Alerts: what ``/api/v1/subscriptions`` and ``/api/v1/inbox`` read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel

TargetKindName = Literal["asset", "domain", "source", "saved_search", "workflow"]
EventKindName = Literal[
    "schema_change",
    "quality_failed",
    "quality_recovered",
    "sensitive_label",
    "finding_opened",
    "execution_failed",
    "source_unreachable",
]
TARGET_HELP = (
    "asset: its URN or id; domain, source, workflow: its name; saved_search: the query text"
)


class SubscriptionCreate(RequestModel):
    """Subscribe the caller to a target (posting the same target again changes it)."""

    target_kind: TargetKindName
    target: str = Field(min_length=1, max_length=2000, description=TARGET_HELP)
    events: list[EventKindName] = Field(
        default_factory=list, max_length=20, description="The event kinds wanted; [] is all"
    )
    channels: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="External channels besides the inbox: a configured channel's name or "
        "email:<address>",
    )
    digest: bool = Field(False, description="External channels get one message a day")
    muted: bool = Field(
        False, description="Tell me nothing about this target (mutes an owner's default)"
    )


class SubscriptionPublic(BaseModel):
    id: int
    user: str
    target_kind: str
    target_ref: str = Field(description="An asset's URN, a name, or a saved search's query")
    events: list[str]
    channels: list[str]
    digest: bool
    muted: bool
    created_at: datetime


class SubscriptionPage(Page[SubscriptionPublic]):
    pass


class NotificationPublic(BaseModel):
    """One entry of the caller's inbox."""

    id: int
    event_id: int
    kind: str
    title: str
    urn: str | None
    link: str | None = Field(description="The page in the UI the event concerns")
    reason: str = Field(description="Why the caller is told: owner, steward, or a subscription")
    created_at: datetime
    read_at: datetime | None
    read: bool


class NotificationPage(Page[NotificationPublic]):
    unread: int = Field(description="The caller's unread notifications, in all")


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int = Field(description="How many notifications were unread and are read now")
