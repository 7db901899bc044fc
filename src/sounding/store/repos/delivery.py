"""Storage of outgoing deliveries and delivery channels (``store/tables_delivery.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sounding.store.tables_delivery import deliveries, delivery_channels


def _insert(conn: Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_new_deliveries(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows whose ``(channel, dedup_key)`` is not stored yet; how many were new.

    The ones already stored are read first (one query per channel), so the count is exact;
    a concurrent writer that stores the same key meanwhile is absorbed by ``ON CONFLICT DO
    NOTHING`` on the unique constraint."""
    fresh: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in rows:
        fresh.setdefault((row["channel"], row["dedup_key"]), row)
    by_channel: dict[str, list[str]] = {}
    for channel, key in fresh:
        by_channel.setdefault(channel, []).append(key)
    for channel, keys in by_channel.items():
        for i in range(0, len(keys), 500):
            stored = conn.execute(
                sa.select(deliveries.c.dedup_key).where(
                    deliveries.c.channel == channel,
                    deliveries.c.dedup_key.in_(keys[i : i + 500]),
                )
            ).scalars()
            for key in stored:
                fresh.pop((channel, key), None)
    added = 0
    for row in fresh.values():
        stmt = (
            _insert(conn, deliveries)
            .values(**row)
            .on_conflict_do_nothing()
            .returning(deliveries.c.id)
        )
        added += len(conn.execute(stmt).all())  # rowcount is -1 on psycopg
    return added


def channel_names(conn: Connection) -> list[str]:
    return list(
        conn.execute(sa.select(delivery_channels.c.name).order_by(delivery_channels.c.name))
        .scalars()
        .all()
    )


# -- channels -------------------------------------------------------------------------------


def channel_rows(conn: Connection) -> list[sa.Row[Any]]:
    return list(conn.execute(sa.select(delivery_channels).order_by(delivery_channels.c.name)).all())


def channel_row(conn: Connection, name: str) -> sa.Row[Any] | None:
    return conn.execute(
        sa.select(delivery_channels).where(delivery_channels.c.name == name)
    ).first()


def insert_channel(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(delivery_channels.insert().values(**values))


def update_channel(conn: Connection, name: str, values: Mapping[str, Any]) -> None:
    conn.execute(
        delivery_channels.update().where(delivery_channels.c.name == name).values(**values)
    )


def delete_channel(conn: Connection, name: str) -> int:
    return conn.execute(delivery_channels.delete().where(delivery_channels.c.name == name)).rowcount


# -- deliveries -----------------------------------------------------------------------------


def delivery_rows(
    conn: Connection,
    channel: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[sa.Row[Any]], int]:
    where: list[sa.ColumnElement[bool]] = []
    if channel is not None:
        where.append(deliveries.c.channel == channel)
    if status is not None:
        where.append(deliveries.c.status == status)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(deliveries).where(*where)
    ).scalar_one()
    rows = conn.execute(
        sa.select(deliveries)
        .where(*where)
        .order_by(deliveries.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def delivery_row(conn: Connection, delivery_id: int) -> sa.Row[Any] | None:
    return conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()


def delivery_id(conn: Connection, channel: str, dedup_key: str) -> int | None:
    return conn.execute(
        sa.select(deliveries.c.id).where(
            deliveries.c.channel == channel, deliveries.c.dedup_key == dedup_key
        )
    ).scalar()


def due_rows(conn: Connection, now: datetime, limit: int) -> list[sa.Row[Any]]:
    return list(
        conn.execute(
            sa.select(deliveries)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        ).all()
    )


def next_due(conn: Connection) -> datetime | None:
    return conn.execute(
        sa.select(sa.func.min(deliveries.c.next_attempt_at)).where(deliveries.c.status == "pending")
    ).scalar()


def update_delivery(conn: Connection, delivery_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(
        deliveries.update()
        .where(deliveries.c.id == delivery_id, deliveries.c.status == "pending")
        .values(**values)
    )


def claim(conn: Connection, delivery_id: int, due: datetime, until: datetime) -> bool:
    """Move a pending delivery's next attempt from ``due`` (as read) to ``until``; False when
    someone else moved it first."""
    found = conn.execute(
        deliveries.update()
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at == due,
        )
        .values(next_attempt_at=until)
        .returning(deliveries.c.id)
    ).all()
    return bool(found)
