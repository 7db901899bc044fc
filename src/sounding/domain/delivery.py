"""Outgoing deliveries: channel and delivery records, and the pure rules the delivery worker
follows (signing, back-off, the per-channel token bucket, the bodies it sends).

No I/O here: the worker (``services/delivery_worker.py``) reads the clock and passes it in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

SIGNATURE_HEADER = "X-Sounding-Signature"
TIMESTAMP_HEADER = "X-Sounding-Timestamp"
MIN_RATE, MAX_RATE = 1, 600  # messages per minute a channel may be given
DIRECT_EMAIL_RATE = 30  # per minute, for each "email:<address>" a message names directly
MAX_ADDRESSES = 50


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"  # the generic JSON body
    SLACK = "slack"  # a Slack incoming-webhook body: {"text", "blocks"}
    EMAIL = "email"  # e-mail to a list of addresses over the configured SMTP server


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel an admin configured. The signing secret is never part of it: ``has_secret``
    says whether one is set."""

    name: str
    kind: ChannelKind
    url: str | None
    addresses: list[str]
    has_secret: bool
    rate_per_minute: int
    enabled: bool
    created_at: datetime
    updated_at: datetime
    revision: int

    @property
    def secret(self) -> str | None:
        """What the API shows for the secret: ``***`` when one is set."""
        return "***" if self.has_secret else None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message for one channel and where its delivery stands."""

    id: int
    channel: str
    dedup_key: str
    subject: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None  # None once delivered or failed
    last_error: str | None
    last_http_status: int | None
    link: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    items: list[Delivery]
    total: int


@dataclass(frozen=True, slots=True)
class DeliveryWork:
    """A pending delivery with everything needed to send it."""

    id: int
    channel: str
    dedup_key: str
    subject: str
    body: str
    payload: Mapping[str, Any]
    link: str | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to: ``ok``, else the error (and HTTP status, if any)."""

    ok: bool
    error: str | None = None
    http_status: int | None = None
    permanent: bool = False  # no point retrying (the channel is gone or misconfigured)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Sounding-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of
    ``"<timestamp>.<body>"`` keyed with the channel's secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and the tests): recompute and compare in constant time."""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def backoff_seconds(
    attempts: int, first: float, longest: float, rng: random.Random | None = None
) -> float:
    """The wait after the ``attempts``-th failed attempt: ``first`` times 4 per earlier
    failure (30 s, 2 min, 8 min, ...), at most ``longest``, with ±20% jitter so deliveries
    that failed together do not retry together."""
    base = min(longest, first * 4.0 ** max(0, attempts - 1))
    jitter = (rng or random).uniform(0.8, 1.2)
    return float(min(longest, base * jitter))


@dataclass
class TokenBucket:
    """``rate`` messages per minute, in bursts of at most ``rate``; starts full."""

    rate: int
    tokens: float = field(default=-1.0)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = float(self.rate)

    def take(self, now: float) -> float:
        """Take a token: 0 when one was there, else the seconds until one will be (none is
        taken then)."""
        per_second = self.rate / 60.0
        if self.stamp:
            self.tokens = min(float(self.rate), self.tokens + (now - self.stamp) * per_second)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / per_second


def webhook_body(work: DeliveryWork, base_url: str | None) -> dict[str, Any]:
    """The generic JSON body: the message's fields and its payload (the event's fields)."""
    return {
        "id": work.id,
        "dedup_key": work.dedup_key,
        "subject": work.subject,
        "text": work.body,
        "link": absolute_link(work.link, base_url),
        "created_at": work.created_at.isoformat().replace("+00:00", "Z"),
        "payload": dict(work.payload),
    }


def slack_body(work: DeliveryWork, base_url: str | None) -> dict[str, Any]:
    """A Slack incoming-webhook body: ``text`` (the fallback notifications show) and blocks."""
    link = absolute_link(work.link, base_url)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": work.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": work.body[:3000] or " "}},
    ]
    if link:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in Sounding>"}],
            }
        )
    return {"text": f"{work.subject}\n{work.body}"[:4000], "blocks": blocks}


def absolute_link(link: str | None, base_url: str | None) -> str | None:
    if not link:
        return None
    if base_url and link.startswith("/"):
        return base_url.rstrip("/") + link
    return link


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode("utf-8")
