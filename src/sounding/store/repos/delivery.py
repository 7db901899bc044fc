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


def due_ids(conn: Connection, now: datetime, limit: int) -> list[int]:
    return list(
        conn.execute(
            sa.select(deliveries.c.id)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
