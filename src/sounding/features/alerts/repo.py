"""The alerts feature's queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.alerts.tables import alert_cursor, alert_notifications, alert_subscriptions
from sounding.store.tables import assets

_CHUNK = 500
CURSOR = "dispatcher"

# --- subscriptions --------------------------------------------------------------------------


def find_subscription(conn: Connection, user: str, key: str) -> dict[str, Any] | None:
    query = sa.select(alert_subscriptions).where(
        alert_subscriptions.c.user_name == user, alert_subscriptions.c.target_key == key
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def get_subscription(conn: Connection, sub_id: int) -> dict[str, Any] | None:
    query = sa.select(alert_subscriptions).where(alert_subscriptions.c.id == sub_id)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def insert_subscription(conn: Connection, row: Mapping[str, Any]) -> int:
    key = conn.execute(sa.insert(alert_subscriptions).values(**row)).inserted_primary_key
    assert key is not None
    return int(key[0])


def update_subscription(conn: Connection, sub_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(
        sa.update(alert_subscriptions).where(alert_subscriptions.c.id == sub_id).values(**values)
    )


def delete_subscription(conn: Connection, sub_id: int) -> None:
    conn.execute(sa.delete(alert_subscriptions).where(alert_subscriptions.c.id == sub_id))


def list_subscriptions(
    conn: Connection, user: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    query = sa.select(alert_subscriptions)
    count = sa.select(sa.func.count()).select_from(alert_subscriptions)
    if user is not None:
        query = query.where(alert_subscriptions.c.user_name == user)
        count = count.where(alert_subscriptions.c.user_name == user)
    query = query.order_by(alert_subscriptions.c.id).limit(limit).offset(offset)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return rows, int(conn.execute(count).scalar_one())


def matching_subscriptions(
    conn: Connection,
    asset_ids: Iterable[int],
    named: Mapping[str, Iterable[str]],
) -> list[dict[str, Any]]:
    """Subscriptions on any of these assets, on these names by kind (``source``, ``domain``,
    ``workflow``), and every saved-search subscription (matched by the caller)."""
    s = alert_subscriptions.c
    ids = sorted(set(asset_ids))
    clauses: list[sa.ColumnElement[bool]] = [s.target_kind == "saved_search"]
    for i in range(0, len(ids), _CHUNK):
        clauses.append(s.asset_id.in_(ids[i : i + _CHUNK]))
    for kind, names in named.items():
        wanted = sorted(set(names))
        if wanted:
            clauses.append(sa.and_(s.target_kind == kind, s.target_ref.in_(wanted)))
    query = sa.select(alert_subscriptions).where(sa.or_(*clauses)).order_by(s.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def stewardship(
    conn: Connection, asset_ids: Iterable[int]
) -> dict[int, tuple[str | None, str | None]]:
    """Each asset's (owner, steward)."""
    ids = sorted(set(asset_ids))
    out: dict[int, tuple[str | None, str | None]] = {}
    for i in range(0, len(ids), _CHUNK):
        query = sa.select(assets.c.id, assets.c.owner, assets.c.steward).where(
            assets.c.id.in_(ids[i : i + _CHUNK])
        )
        for asset_id, owner, steward in conn.execute(query):
            out[int(asset_id)] = (owner, steward)
    return out


# --- inbox ----------------------------------------------------------------------------------


def notified(conn: Connection, event_ids: Sequence[int]) -> set[tuple[str, int]]:
    """The (user, event) pairs already in an inbox among these events."""
    out: set[tuple[str, int]] = set()
    n = alert_notifications.c
    for i in range(0, len(event_ids), _CHUNK):
        query = sa.select(n.user_name, n.event_id).where(n.event_id.in_(event_ids[i : i + _CHUNK]))
        out.update((str(u), int(e)) for u, e in conn.execute(query))
    return out


def insert_notifications(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(alert_notifications), [dict(r) for r in rows])


def inbox(
    conn: Connection, user: str, unread_only: bool, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int, int]:
    """A page of the user's notifications, newest first; how many match; how many unread."""
    n = alert_notifications.c
    mine = n.user_name == user
    where = sa.and_(mine, n.read_at.is_(None)) if unread_only else mine
    query = (
        sa.select(alert_notifications)
        .where(where)
        .order_by(n.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(r) for r in conn.execute(query).mappings()]
    total = conn.execute(sa.select(sa.func.count()).where(where)).scalar_one()
    return rows, int(total), unread_count(conn, user)


def unread_count(conn: Connection, user: str) -> int:
    n = alert_notifications.c
    query = sa.select(sa.func.count()).where(n.user_name == user, n.read_at.is_(None))
    return int(conn.execute(query).scalar_one())


def get_notification(conn: Connection, notification_id: int) -> dict[str, Any] | None:
    query = sa.select(alert_notifications).where(alert_notifications.c.id == notification_id)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def mark_read(conn: Connection, user: str, now: datetime, notification_id: int | None) -> int:
    """Mark one notification (or all of the user's unread ones) read; how many changed."""
    n = alert_notifications.c
    query = sa.update(alert_notifications).where(n.user_name == user, n.read_at.is_(None))
    if notification_id is not None:
        query = query.where(n.id == notification_id)
    return int(conn.execute(query.values(read_at=now)).rowcount or 0)


# --- digests --------------------------------------------------------------------------------


def digest_due(conn: Connection, before: datetime, limit: int) -> list[dict[str, Any]]:
    """Notifications waiting for a digest, made before ``before``, by user then time, so
    each user's day is a run of rows and only the last run can be cut by ``limit``."""
    n = alert_notifications.c
    query = (
        sa.select(alert_notifications)
        .where(n.digest_channels.is_not(None), n.created_at < before)
        .order_by(n.user_name, n.created_at, n.id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def digest_close_day(conn: Connection, user: str, start: datetime, end: datetime) -> int:
    """Mark every notification of ``user`` waiting for the digest of one day as sent; how
    many there were."""
    n = alert_notifications.c
    done = conn.execute(
        sa.update(alert_notifications)
        .where(
            n.user_name == user,
            n.digest_channels.is_not(None),
            n.created_at >= start,
            n.created_at < end,
        )
        .values(digest_channels=None)
    )
    return int(done.rowcount or 0)


def digest_done(conn: Connection, ids: Sequence[int]) -> None:
    n = alert_notifications.c
    for i in range(0, len(ids), _CHUNK):
        conn.execute(
            sa.update(alert_notifications)
            .where(n.id.in_(ids[i : i + _CHUNK]))
            .values(digest_channels=None)
        )


# --- cursor ---------------------------------------------------------------------------------


def cursor(conn: Connection, *, lock: bool = False) -> int:
    """The last event dispatched; ``lock`` holds the row to the end of the transaction (two
    servers on PostgreSQL: the second waits, then sees the cursor moved)."""
    query = sa.select(alert_cursor.c.event_id).where(alert_cursor.c.name == CURSOR)
    if lock:
        query = query.with_for_update()
    found = conn.execute(query).scalar_one_or_none()
    return int(found) if found is not None else 0


def move_cursor(conn: Connection, event_id: int, now: datetime) -> None:
    changed = conn.execute(
        sa.update(alert_cursor)
        .where(alert_cursor.c.name == CURSOR)
        .values(event_id=event_id, updated_at=now)
    ).rowcount
    if not changed:
        conn.execute(sa.insert(alert_cursor).values(name=CURSOR, event_id=event_id, updated_at=now))
