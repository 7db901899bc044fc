"""Subscriptions and the in-app inbox: the use cases.

A user subscribes to an asset, a domain, a source, a saved search (its query text) or a
workflow; owners and stewards are subscribed to what they own by default (decided when an
event is matched, from the asset's ``owner`` and ``steward``, so there are no rows to keep in
step), and a user mutes such a default with a muted subscription on the same target. A user
manages their own subscriptions and inbox; an admin may list everyone's subscriptions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.events import EVENT_KINDS
from sounding.domain.search import MAX_QUERY_CHARS
from sounding.errors import InvalidInputError, NotFoundError
from sounding.features.alerts import repo
from sounding.features.alerts.records import (
    INBOX,
    TARGET_KINDS,
    Notification,
    NotificationPage,
    Subscription,
    SubscriptionPage,
    TargetKind,
    TargetState,
)
from sounding.services import catalog, delivery, workflows
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import utcnow

logger = logging.getLogger(__name__)

MAX_PAGE = 1000  # as the API's page size
MAX_CHANNELS = 10
EMAIL = "email:"


def _record(row: dict[str, Any]) -> Subscription:
    return Subscription(
        id=int(row["id"]),
        user=str(row["user_name"]),
        target_kind=str(row["target_kind"]),
        target_ref=str(row["target_ref"]),
        events=list(row["events"] or []),
        channels=list(row["channels"] or []),
        digest=bool(row["digest"]),
        muted=bool(row["muted"]),
        created_at=row["created_at"],
    )


def _notification(row: dict[str, Any]) -> Notification:
    return Notification(
        id=int(row["id"]),
        event_id=int(row["event_id"]),
        kind=str(row["kind"]),
        title=str(row["title"]),
        urn=row["urn"],
        link=row["link"],
        reason=str(row["reason"]),
        created_at=row["created_at"],
        read_at=row["read_at"],
        read=row["read_at"] is not None,
    )


def target_key(kind: str, ref: str) -> str:
    return hashlib.sha256(f"{kind}\0{ref}".encode()).hexdigest()


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if not 0 <= offset <= 1_000_000:
        raise InvalidInputError("offset must be between 0 and 1000000", field="offset")


def resolve_target(ctx: Context, actor: Principal, kind: str, ref: str) -> tuple[str, int | None]:
    """The canonical ref of a target (an asset's URN, a domain's spelling), and an asset
    target's id; ``NotFoundError``/``InvalidInputError`` saying what is wrong."""
    ref = " ".join(ref.split()) if kind == TargetKind.SAVED_SEARCH else ref.strip()
    if kind not in TARGET_KINDS:
        raise InvalidInputError(
            f"Unknown target kind {kind!r}; use one of {', '.join(TARGET_KINDS)}",
            field="target_kind",
        )
    if not ref:
        raise InvalidInputError(f"A {kind} subscription needs a target", field="target")
    if kind == TargetKind.ASSET:
        asset = catalog.get_asset(ctx, actor, ref)
        return asset.urn, asset.id
    if kind == TargetKind.SOURCE:
        return str(get_row(ctx, ref)["name"]), None
    if kind == TargetKind.WORKFLOW:
        return workflows.get_workflow(ctx, actor, ref).name, None
    if kind == TargetKind.DOMAIN:
        with ctx.db.read() as conn:
            name = catalog.check_domain(conn, ref)
        return str(name), None
    if len(ref) > MAX_QUERY_CHARS:
        raise InvalidInputError(
            f"A saved search's query is at most {MAX_QUERY_CHARS} characters", field="target"
        )
    return ref, None


def _check_events(events: Sequence[str]) -> list[str]:
    bad = sorted(set(events) - set(EVENT_KINDS))
    if bad:
        raise InvalidInputError(
            f"Unknown event kind(s) {', '.join(bad)}; use {', '.join(EVENT_KINDS)}",
            field="events",
        )
    return sorted(set(events))


def _check_channels(ctx: Context, channels: Sequence[str]) -> list[str]:
    wanted = sorted({c.strip() for c in channels if c.strip() and c.strip() != INBOX})
    if len(wanted) > MAX_CHANNELS:
        raise InvalidInputError(f"At most {MAX_CHANNELS} channels", field="channels")
    with ctx.db.read() as conn:
        known = set(delivery.channel_names(conn))
    for channel in wanted:
        if channel.startswith(EMAIL):
            address = channel[len(EMAIL) :]
            if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
                raise InvalidInputError(
                    f"{channel!r} is not an e-mail channel: write email:<address>",
                    field="channels",
                )
        elif channel not in known:
            names = ", ".join(sorted(known)) or "none configured yet"
            raise InvalidInputError(
                f"Unknown channel {channel!r}: use inbox, email:<address> or a configured "
                f"channel ({names})",
                field="channels",
            )
    return wanted


def subscribe(
    ctx: Context,
    actor: Principal,
    kind: str,
    ref: str,
    *,
    events: Sequence[str] = (),
    channels: Sequence[str] = (),
    digest: bool = False,
    muted: bool = False,
) -> Subscription:
    """Subscribe ``actor`` to a target (or change their subscription to it); ``muted``
    stops what they would get there, the owner/steward default included."""
    actor.require(Permission.CATALOG_READ)
    canonical, asset_id = resolve_target(ctx, actor, kind, ref)
    values = {
        "events": _check_events(events),
        "channels": _check_channels(ctx, channels),
        "digest": digest,
        "muted": muted,
    }
    key = target_key(kind, canonical)
    with ctx.db.write() as conn:
        found = repo.find_subscription(conn, actor.name, key)
        if found is not None:
            repo.update_subscription(conn, found["id"], values)
            sub_id = int(found["id"])
        else:
            sub_id = repo.insert_subscription(
                conn,
                {
                    **values,
                    "user_name": actor.name,
                    "target_kind": kind,
                    "target_ref": canonical,
                    "target_key": key,
                    "asset_id": asset_id,
                    "created_at": utcnow(),
                },
            )
        row = repo.get_subscription(conn, sub_id)
    assert row is not None
    return _record(row)


def _own(ctx: Context, actor: Principal, sub_id: int) -> dict[str, Any]:
    with ctx.db.read() as conn:
        row = repo.get_subscription(conn, sub_id)
    if row is None or (row["user_name"] != actor.name and not actor.can(Permission.ADMIN)):
        raise NotFoundError(f"Subscription {sub_id} not found", subscription=sub_id)
    return row


def get_subscription(ctx: Context, actor: Principal, sub_id: int) -> Subscription:
    return _record(_own(ctx, actor, sub_id))


def unsubscribe(ctx: Context, actor: Principal, sub_id: int) -> None:
    """Delete a subscription of one's own (an admin: anyone's)."""
    _own(ctx, actor, sub_id)
    with ctx.db.write() as conn:
        repo.delete_subscription(conn, sub_id)


def list_subscriptions(
    ctx: Context, actor: Principal, *, everyone: bool = False, limit: int = 50, offset: int = 0
) -> SubscriptionPage:
    """The actor's subscriptions; with ``everyone`` (admins only) every user's."""
    _page(limit, offset)
    if everyone:
        actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        rows, total = repo.list_subscriptions(conn, None if everyone else actor.name, limit, offset)
    return SubscriptionPage([_record(r) for r in rows], total, limit, offset)


def target_state(ctx: Context, actor: Principal, kind: str, ref: str) -> TargetState:
    """Whether ``actor`` is subscribed to a target (the pages' Subscribe button)."""
    canonical, asset_id = resolve_target(ctx, actor, kind, ref)
    with ctx.db.read() as conn:
        row = repo.find_subscription(conn, actor.name, target_key(kind, canonical))
        default_as = None
        if asset_id is not None:
            owner, steward = repo.stewardship(conn, [asset_id]).get(asset_id, (None, None))
            default_as = (
                "owner" if owner == actor.name else "steward" if steward == actor.name else None
            )
    return TargetState(
        target_kind=kind,
        target_ref=canonical,
        subscription_id=int(row["id"]) if row else None,
        default_as=default_as,
        muted=bool(row and row["muted"]),
    )


def toggle(ctx: Context, actor: Principal, kind: str, ref: str) -> TargetState:
    """The pages' button: subscribe when not subscribed (unmuting a muted default), else
    unsubscribe (muting the default of an owner or steward)."""
    state = target_state(ctx, actor, kind, ref)
    if not state.subscribed:
        if state.default_as is not None and state.subscription_id is not None:
            unsubscribe(ctx, actor, state.subscription_id)  # the default is back
        else:
            subscribe(ctx, actor, kind, state.target_ref)
    elif state.default_as is not None:
        subscribe(ctx, actor, kind, state.target_ref, muted=True)
    else:
        assert state.subscription_id is not None
        unsubscribe(ctx, actor, state.subscription_id)
    return target_state(ctx, actor, kind, state.target_ref)


# --- inbox ----------------------------------------------------------------------------------


def inbox(
    ctx: Context, actor: Principal, *, unread: bool = False, limit: int = 50, offset: int = 0
) -> NotificationPage:
    """A page of the actor's notifications, newest first (``unread``: only unread ones)."""
    _page(limit, offset)
    with ctx.db.read() as conn:
        rows, total, unread_total = repo.inbox(conn, actor.name, unread, limit, offset)
    return NotificationPage([_notification(r) for r in rows], total, unread_total, limit, offset)


def unread_count(ctx: Context, actor: Principal) -> int:
    with ctx.db.read() as conn:
        return repo.unread_count(conn, actor.name)


def mark_read(ctx: Context, actor: Principal, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (already read: unchanged)."""
    with ctx.db.write() as conn:
        row = repo.get_notification(conn, notification_id)
        if row is None or row["user_name"] != actor.name:
            raise NotFoundError(
                f"Notification {notification_id} not found in your inbox",
                notification=notification_id,
            )
        repo.mark_read(conn, actor.name, utcnow(), notification_id)
        row = repo.get_notification(conn, notification_id)
    assert row is not None
    return _notification(row)


def mark_all_read(ctx: Context, actor: Principal) -> int:
    """Mark every unread notification of the actor read; how many were."""
    with ctx.db.write() as conn:
        return repo.mark_read(conn, actor.name, utcnow(), None)
