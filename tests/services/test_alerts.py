"""The alerts dispatcher over a real store: a breaking schema change and a new label reach
the subscribers of their source, saved searches match the assets they find, the external
channels get one message per event and user, re-processing the outbox tells nobody twice,
and a digest subscriber's channels get one message per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.features.alerts import repo
from sounding.features.alerts import service as alerts
from sounding.features.alerts.dispatcher import drain, send_digests
from sounding.services import scans, sources
from sounding.store.repos import utcnow
from sounding.store.tables_delivery import deliveries
from tests.factories import execute, sqlite_source

U = "urn:sounding:shop:main."
DDL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC, note TEXT);
CREATE VIEW order_amounts AS SELECT id, amount FROM orders;
INSERT INTO orders VALUES (1, 10, 'a'), (2, 20, 'b');
"""
# SQLite refuses to drop a column a view reads: the view goes, the column, and it comes back
DROP_AMOUNT = """
DROP VIEW order_amounts; ALTER TABLE orders DROP COLUMN amount;
CREATE VIEW order_amounts AS SELECT id FROM orders;
"""
PEOPLE = """
CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO people VALUES (1, 'ann@example.com'), (2, 'bob@example.org'),
    (3, 'cy@example.net'), (4, 'di@example.com'), (5, 'ed@example.com');
"""
ANN = Principal("ann", Role.VIEWER)
BOB = Principal("bob", Role.VIEWER)


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db, DDL))
    scans.run_scan(any_ctx, operator, "shop")
    drain(any_ctx)  # what the first scan published is behind the cursor
    return db


def _kinds(ctx: Any, who: Principal) -> list[tuple[str, str | None]]:
    page = alerts.inbox(ctx, who, limit=1000)
    return sorted((n.kind, n.urn) for n in page.items)


def _messages(ctx: Any) -> list[tuple[str, str]]:
    with ctx.db.read() as conn:
        query = sa.select(deliveries.c.channel, deliveries.c.dedup_key)
        return sorted((str(c), str(k)) for c, k in conn.execute(query))


def test_schema_change_and_new_label_reach_source_subscribers_once(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    alerts.subscribe(any_ctx, ANN, "source", "shop", channels=["email:ann@example.com"])
    alerts.subscribe(any_ctx, BOB, "saved_search", "people", events=["sensitive_label"])
    execute(shop, DROP_AMOUNT + PEOPLE)
    scans.run_scan(any_ctx, operator, "shop", options=ScanOptions(profile=True, classify=True))
    done = drain(any_ctx)
    assert done.events >= 2
    got = _kinds(any_ctx, ANN)
    assert ("schema_change", U + "orders#amount") in got
    assert ("sensitive_label", U + "people#email") in got
    title = next(n.title for n in alerts.inbox(any_ctx, ANN).items if n.urn == U + "orders#amount")
    assert title == "column dropped: main.orders.amount, 1 downstream"  # the view's column
    assert _kinds(any_ctx, BOB) == [("sensitive_label", U + "people#email")]
    sent = _messages(any_ctx)
    assert len(sent) == len(got) and {c for c, _ in sent} == {"email:ann@example.com"}
    assert all(k.startswith("event:") and k.endswith(":user:ann") for _, k in sent)

    # the outbox read again from the start tells nobody twice and sends nothing again
    with any_ctx.db.write() as conn:
        repo.move_cursor(conn, 0, utcnow())
    again = drain(any_ctx)
    assert again.events >= done.events and (again.notifications, again.messages) == (0, 0)
    assert _kinds(any_ctx, ANN) == got and _messages(any_ctx) == sent


def test_digest_subscribers_get_one_message_per_day(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    alerts.subscribe(
        any_ctx, ANN, "asset", U + "orders", channels=["email:ann@example.com"], digest=True
    )
    execute(shop, DROP_AMOUNT)
    scans.run_scan(any_ctx, operator, "shop")
    drain(any_ctx)
    assert _kinds(any_ctx, ANN) == [("schema_change", U + "orders#amount")]  # the inbox at once
    assert _messages(any_ctx) == []  # the e-mail waits for the day's digest
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert send_digests(any_ctx, tomorrow) == 1
    day = datetime.now(UTC).date().isoformat()
    assert _messages(any_ctx) == [("email:ann@example.com", f"digest:ann:{day}")]
    assert send_digests(any_ctx, tomorrow) == 0


def test_owner_default_can_be_muted_and_back(any_ctx: Any, operator: Any, shop: Path) -> None:
    from sounding.services import catalog

    catalog.update_asset(any_ctx, operator, U + "orders", {"owner": "ann"})
    state = alerts.target_state(any_ctx, ANN, "asset", U + "orders")
    assert (state.subscribed, state.default_as, state.subscription_id) == (True, "owner", None)
    muted = alerts.toggle(any_ctx, ANN, "asset", U + "orders")
    assert (muted.subscribed, muted.muted) == (False, True)
    execute(shop, DROP_AMOUNT)
    scans.run_scan(any_ctx, operator, "shop")
    drain(any_ctx)
    assert _kinds(any_ctx, ANN) == []
    back = alerts.toggle(any_ctx, ANN, "asset", U + "orders")
    assert (back.subscribed, back.subscription_id) == (True, None)


def test_compliance_findings_opened_and_reopened_are_told(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    from sounding.features.compliance import findings
    from sounding.features.compliance import service as compliance

    alerts.subscribe(any_ctx, ANN, "source", "shop", events=["finding_opened"])
    execute(shop, PEOPLE)
    scans.run_scan(any_ctx, operator, "shop", options=ScanOptions(classify=True))
    opened = compliance.evaluate(any_ctx, operator, "shop").opened
    assert opened > 0
    drain(any_ctx)
    told = alerts.inbox(any_ctx, ANN, limit=1000).items
    assert len(told) == opened and {n.kind for n in told} == {"finding_opened"}
    assert any(n.urn == U + "people" and "GDPR" in n.title for n in told)
    compliance.evaluate(any_ctx, operator, "shop")  # nothing new: nobody is told again
    drain(any_ctx)
    assert alerts.inbox(any_ctx, ANN).total == opened

    items, _ = findings.list_findings(any_ctx, operator, limit=1)
    findings.resolve(any_ctx, operator, items[0].id)
    findings.reopen(any_ctx, operator, items[0].id)
    drain(any_ctx)
    newest = alerts.inbox(any_ctx, ANN, limit=1).items[0]
    assert newest.title.startswith(f"Compliance finding {items[0].id} reopened")


def _waiting(ctx: Any, per_user: dict[str, int], day: datetime) -> None:
    """Notifications waiting for the digest of ``day``: ``per_user[name]`` for each user."""
    from sounding.features.alerts.tables import alert_notifications
    from sounding.store.tables_events import catalog_events

    with ctx.db.write() as conn:
        for user, count in per_user.items():
            for i in range(count):
                at = day + timedelta(minutes=i)
                event = conn.execute(
                    sa.insert(catalog_events).values(
                        kind="quality_failed", title=f"{user} {i}", created_at=at, payload={}
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    sa.insert(alert_notifications).values(
                        user_name=user,
                        event_id=event,
                        kind="quality_failed",
                        title=f"{user} {i}",
                        reason="owner",
                        created_at=at,
                        digest_channels=[f"email:{user}@example.com"],
                    )
                )


def test_a_digest_is_never_split_across_rounds(
    any_ctx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A digest is sent once per user and day (its key): past a round's row limit, a user's
    day waits for the next round whole, or, alone past the limit, goes with a count of the
    rest."""
    from sounding.features.alerts import dispatcher

    monkeypatch.setattr(dispatcher, "DIGEST_ROWS", 4)
    day = datetime(2026, 5, 1, 9, tzinfo=UTC)
    _waiting(any_ctx, {"ann": 3, "bob": 3}, day)
    later = day + timedelta(days=1)
    assert send_digests(any_ctx, later) == 1  # ann's 3; bob's day would be cut: it waits
    assert send_digests(any_ctx, later) == 1  # bob's whole day
    assert send_digests(any_ctx, later) == 0
    with any_ctx.db.read() as conn:
        rows = conn.execute(sa.select(deliveries.c.dedup_key, deliveries.c.body)).all()
    bodies = {k: b for k, b in rows}
    assert bodies["digest:bob:2026-05-01"].count("\n") == 2  # 3 lines: nothing lost

    _waiting(any_ctx, {"cy": 6}, day)
    assert send_digests(any_ctx, later) == 1
    assert send_digests(any_ctx, later) == 0  # the rest closed with it, not a second digest
    with any_ctx.db.read() as conn:
        body = conn.execute(
            sa.select(deliveries.c.body).where(deliveries.c.dedup_key == "digest:cy:2026-05-01")
        ).scalar_one()
    assert body.endswith("... and 2 more: see /inbox")
