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
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal
from sounding.domain.delivery import Delivery, DeliveryPage, DeliveryStatus
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services.context import Context
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


# -- the delivery log (admins) --------------------------------------------------------------

MAX_PAGE = 1000


def _delivery(row: RowMapping) -> Delivery:
    status = DeliveryStatus(row["status"])
    return Delivery(
        id=row["id"],
        channel=row["channel"],
        dedup_key=row["dedup_key"],
        subject=row["subject"],
        status=status,
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if status is DeliveryStatus.PENDING else None,
        last_error=row["last_error"],
        last_http_status=row["last_http_status"],
        link=row["link"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        delivered_at=row["delivered_at"],
    )


def list_deliveries(
    ctx: Context,
    actor: Principal,
    *,
    channel: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DeliveryPage:
    """The delivery log, newest first, optionally of one channel or status."""
    actor.require(Permission.ADMIN)
    if status is not None:
        try:
            status = DeliveryStatus(status).value
        except ValueError:
            raise InvalidInputError(
                f"Unknown delivery status {status!r}: use pending, delivered or failed",
                field="status",
            ) from None
    limit = max(1, min(limit, MAX_PAGE))
    with ctx.db.read() as conn:
        rows, total = repo.delivery_rows(conn, channel, status, limit, max(0, offset))
    return DeliveryPage([_delivery(r._mapping) for r in rows], total)


def get_delivery(ctx: Context, actor: Principal, delivery_id: int) -> Delivery:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        row = repo.delivery_row(conn, delivery_id)
    if row is None:
        raise NotFoundError(f"No delivery {delivery_id}", delivery=delivery_id)
    return _delivery(row._mapping)


def send_test(ctx: Context, actor: Principal, name: str, *, attempt_now: bool = False) -> Delivery:
    """Enqueue a test message to channel ``name`` and wake the worker (the server), or with
    ``attempt_now`` make its first attempt in this process (the CLI); the delivery."""
    actor.require(Permission.ADMIN)
    key = f"test:{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    message = OutgoingMessage(
        channel=name,
        dedup_key=key,
        subject=f"Sounding test message to '{name}'",
        text=f"A test message sent by {actor.name} from Sounding at {now:%Y-%m-%d %H:%M} UTC.",
        payload={"event": "test", "channel": name, "sent_by": actor.name},
        link="/admin/deliveries",
    )
    with ctx.db.write() as conn:
        if name not in repo.channel_names(conn):
            raise NotFoundError(f"No channel named {name!r}", channel=name)
        enqueue(conn, [message])
        found = repo.delivery_id(conn, name, key)
    assert found is not None
    if attempt_now:
        from sounding.services.delivery_worker import deliver_now

        deliver_now(ctx, found)
    else:
        wake(ctx)
    return get_delivery(ctx, actor, found)


def wake(ctx: Context) -> None:
    """Have this process's delivery worker look for due deliveries now (when it runs)."""
    from sounding.services.delivery_worker import DeliveryWorker

    ctx.part(DeliveryWorker).wake()
