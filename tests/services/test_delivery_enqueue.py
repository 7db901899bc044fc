"""The delivery outbox's interface: enqueue stores each (channel, dedup key) once, in the
caller's transaction, and its table is exactly what its migration creates."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.errors import InvalidInputError
from sounding.services import delivery
from sounding.services.delivery import OutgoingMessage
from sounding.store.tables import metadata
from sounding.store.tables_delivery import deliveries


def _message(channel: str = "ops", key: str = "event-1") -> OutgoingMessage:
    return OutgoingMessage(channel, key, "Schema changed", "orders lost a column", {"id": 1})


def test_enqueue_stores_each_key_once(any_ctx: Any) -> None:
    with any_ctx.db.write() as conn:
        first = delivery.enqueue(
            conn, [_message(), _message(), _message("email:a@example.com"), _message(key="e2")]
        )
    with any_ctx.db.write() as conn:
        again = delivery.enqueue(conn, [_message(), _message(key="e3")])
    assert (first, again) == (3, 1)
    with any_ctx.db.read() as conn:
        rows = conn.execute(
            sa.select(deliveries.c.channel, deliveries.c.dedup_key, deliveries.c.status).order_by(
                deliveries.c.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("ops", "event-1", "pending"),
        ("email:a@example.com", "event-1", "pending"),
        ("ops", "e2", "pending"),
        ("ops", "e3", "pending"),
    ]


def test_enqueue_is_part_of_the_callers_transaction(ctx: Any) -> None:
    with pytest.raises(RuntimeError), ctx.db.write() as conn:
        assert delivery.enqueue(conn, [_message()]) == 1
        raise RuntimeError("the caller's transaction fails")
    with ctx.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(deliveries)).scalar() == 0


def test_a_long_key_stays_unique_and_a_blank_channel_is_refused(ctx: Any) -> None:
    long_a, long_b = "a" * 1000, "a" * 999 + "b"
    with ctx.db.write() as conn:
        assert delivery.enqueue(conn, [_message(key=long_a), _message(key=long_b)]) == 2
        assert delivery.enqueue(conn, [_message(key=long_a)]) == 0
        with pytest.raises(InvalidInputError, match="channel"):
            delivery.enqueue(conn, [_message(channel=" ")])


@pytest.mark.parametrize("table", ["deliveries", "delivery_channels"])
def test_table_matches_its_migration(any_ctx: Any, table: str) -> None:
    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) == table

    opts = {"include_object": ours, "compare_type": True}
    with any_ctx.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
