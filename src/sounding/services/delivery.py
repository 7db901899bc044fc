"""Outgoing deliveries: webhooks (generic JSON or Slack-compatible), e-mail, and their log.

Other parts of Sounding (alerts) hand messages for external channels to :func:`enqueue`, in
their own transaction: each becomes a ``deliveries`` row (an outbox), sent later by the
delivery worker with retries, back-off and a per-channel rate limit. ``(channel, dedup_key)``
is unique, so enqueueing the same message twice sends it once.

A message's ``channel`` is the name of a channel an admin configured (``/api/v1/channels``)
or ``email:<address>`` for an e-mail straight to one address over the configured SMTP server.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from sounding.errors import InvalidInputError
from sounding.store.repos import delivery as repo

logger = logging.getLogger(__name__)

EMAIL_PREFIX = "email:"
MAX_CHANNEL = 300
MAX_DEDUP_KEY = 400
MAX_SUBJECT = 1000
MAX_LINK = 2000


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message for one external channel."""

    channel: str  # an admin-configured channel name, or "email:<address>" for a direct e-mail
    dedup_key: str  # unique per (channel, dedup_key): enqueueing the same twice sends once
    subject: str
    text: str  # plain text body (e-mail body, Slack text)
    payload: Mapping[str, Any]  # the generic JSON body of a webhook (event fields)
    link: str | None = None  # URL path in the UI, e.g. /assets/...


def _dedup_key(key: str) -> str:
    """Keys longer than the column are kept unique by their digest."""
    if len(key) <= MAX_DEDUP_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _row(message: OutgoingMessage, now: datetime) -> dict[str, Any]:
    channel = message.channel.strip()
    if not channel or len(channel) > MAX_CHANNEL:
        raise InvalidInputError(
            f"A delivery's channel must be 1 to {MAX_CHANNEL} characters", channel=channel
        )
    if not message.dedup_key:
        raise InvalidInputError("A delivery needs a dedup key", channel=channel)
    link = message.link if message.link and len(message.link) <= MAX_LINK else None
    return {
        "channel": channel,
        "dedup_key": _dedup_key(message.dedup_key),
        "subject": message.subject[:MAX_SUBJECT],
        "body": message.text,
        "payload": dict(message.payload),
        "link": link,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def enqueue(conn: Connection, messages: Sequence[OutgoingMessage]) -> int:
    """Store the messages for delivery in the caller's transaction; how many were new (a
    message whose ``(channel, dedup_key)`` is stored already is not sent again)."""
    if not messages:
        return 0
    now = datetime.now(UTC)
    added = repo.insert_new_deliveries(conn, [_row(m, now) for m in messages])
    if added:
        logger.debug("Enqueued %d of %d deliveries", added, len(messages))
    return added


def channel_names(conn: Connection) -> list[str]:
    """The names of the channels admins configured, sorted."""
    return repo.channel_names(conn)
