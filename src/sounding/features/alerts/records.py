"""The typed records the alerts service returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TargetKind(StrEnum):
    ASSET = "asset"
    DOMAIN = "domain"
    SOURCE = "source"
    SAVED_SEARCH = "saved_search"  # the ref is the query text; matching assets' events
    WORKFLOW = "workflow"


TARGET_KINDS: tuple[str, ...] = tuple(k.value for k in TargetKind)
INBOX = "inbox"  # the in-app inbox: every subscription has it


@dataclass(frozen=True, slots=True)
class Subscription:
    """A user's subscription to a target. ``events`` empty means every kind; ``channels``
    are the external ones besides the inbox; ``muted`` mutes the owner/steward default."""

    id: int
    user: str
    target_kind: str
    target_ref: str
    events: list[str]
    channels: list[str]
    digest: bool
    muted: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionPage:
    items: list[Subscription]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class TargetState:
    """What a page's Subscribe button shows for one user and target: an explicit
    subscription (its id), a default one as owner or steward (``default_as``), muted."""

    target_kind: str
    target_ref: str
    subscription_id: int | None
    default_as: str | None
    muted: bool

    @property
    def subscribed(self) -> bool:
        return not self.muted and (self.subscription_id is not None or self.default_as is not None)


@dataclass(frozen=True, slots=True)
class Notification:
    """One entry of a user's inbox: an event they are told about, and why."""

    id: int
    event_id: int
    kind: str
    title: str
    urn: str | None
    link: str | None
    reason: str
    created_at: datetime
    read_at: datetime | None
    read: bool


@dataclass(frozen=True, slots=True)
class NotificationPage:
    items: list[Notification]
    total: int
    unread: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class DispatchRound:
    """What one dispatcher round did: events read, notifications written, messages handed
    to the delivery outbox (new ones), digests sent."""

    events: int
    notifications: int
    messages: int
    digests: int
