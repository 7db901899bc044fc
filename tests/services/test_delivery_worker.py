"""The delivery worker's decisions over a real store, without a server: a message for an
unknown, disabled or malformed channel fails for good at once; over a channel's rate a
delivery is deferred without counting an attempt; a row another worker claimed is not sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sounding.services import delivery, delivery_channels
from sounding.services.delivery import OutgoingMessage
from sounding.services.delivery_channels import ChannelInput
from sounding.services.delivery_worker import DeliveryWorker
from sounding.store.repos import delivery as repo
from sounding.store.tables_delivery import deliveries
from tests.api.delivery_receivers import http_receiver


def _rows(ctx: Any) -> dict[str, Any]:
    with ctx.db.read() as conn:
        found = conn.execute(sa.select(deliveries).order_by(deliveries.c.id)).all()
    return {r.dedup_key: r for r in found}


def _send(ctx: Any, *messages: tuple[str, str]) -> None:
    with ctx.db.write() as conn:
        delivery.enqueue(conn, [OutgoingMessage(c, k, "s", "t", {}) for c, k in messages])


def test_messages_without_a_usable_channel_fail_at_once(ctx: Any, operator: Any) -> None:
    off = ChannelInput(kind="webhook", url="http://127.0.0.1:9/", enabled=False)
    delivery_channels.create_channel(ctx, operator, "off", off)
    _send(ctx, ("nosuch", "a"), ("off", "b"), ("email:nobody", "c"))
    assert DeliveryWorker(ctx).run_once() == 3
    rows = _rows(ctx)
    assert {k: (r.status, r.attempts) for k, r in rows.items()} == {
        "a": ("failed", 1),
        "b": ("failed", 1),
        "c": ("failed", 1),
    }
    assert rows["a"].last_error == "No channel named 'nosuch'"
    assert rows["b"].last_error == "Channel 'off' is disabled"
    assert "Not an e-mail address" in rows["c"].last_error


def test_over_the_rate_a_delivery_waits_without_an_attempt(any_ctx: Any, operator: Any) -> None:
    with http_receiver() as web:
        hook = ChannelInput(kind="webhook", url=f"{web.base}/r", rate_per_minute=1)
        delivery_channels.create_channel(any_ctx, operator, "r", hook)
        _send(any_ctx, ("r", "1"), ("r", "2"))
        before = datetime.now(UTC)
        DeliveryWorker(any_ctx).run_once()
        assert len(web.at("/r")) == 1
    rows = _rows(any_ctx)
    assert (rows["1"].status, rows["2"].status, rows["2"].attempts) == (
        "delivered",
        "pending",
        0,
    )
    assert rows["2"].next_attempt_at >= before + timedelta(seconds=55)  # 1 a minute


def test_a_row_claimed_by_another_worker_is_left_alone(any_ctx: Any, operator: Any) -> None:
    with http_receiver() as web:
        hook = ChannelInput(kind="webhook", url=f"{web.base}/c")
        delivery_channels.create_channel(any_ctx, operator, "c", hook)
        _send(any_ctx, ("c", "1"))
        due = _rows(any_ctx)["1"].next_attempt_at
        with any_ctx.db.write() as conn:  # another server claims it between our read and claim
            assert repo.claim(conn, _rows(any_ctx)["1"].id, due, due + timedelta(seconds=60))
            assert not repo.claim(conn, _rows(any_ctx)["1"].id, due, due + timedelta(seconds=60))
        DeliveryWorker(any_ctx).run_once()
        assert web.at("/c") == []
    assert _rows(any_ctx)["1"].status == "pending"
