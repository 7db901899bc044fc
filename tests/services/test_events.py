"""Publishing catalog events: ``publish_many`` writes the same outbox rows, in the same order,
as ``publish`` called once per event, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.domain.events import EventKind
from sounding.services import events, scans, sources
from sounding.store.repos import events as repo
from sounding.store.tables import assets
from tests.factories import sqlite_source

DDL = "CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT); CREATE TABLE notes (body TEXT);"
FIELDS = ("kind", "title", "asset_id", "table_id", "urn", "source", "domain", "workflow", "payload")


def _ids(ctx: Any) -> tuple[int, int, int]:
    """The ids of the table ``orders``, its column ``email`` and the table ``notes``."""
    with ctx.db.read() as conn:
        rows = conn.execute(sa.select(assets.c.id, assets.c.qualified_name)).all()
    by_name = {str(name): int(i) for i, name in rows}
    return by_name["main.orders"], by_name["main.orders.email"], by_name["main.notes"]


def _outbox(ctx: Any, after: int) -> list[tuple[Any, ...]]:
    with ctx.db.read() as conn:
        found = events.read_after(conn, after, 5000)
    return [tuple(getattr(e, f) for f in FIELDS) for e in found]


def test_publish_many_writes_what_publish_writes_one_by_one(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db", DDL))
    scans.run_scan(any_ctx, operator, "shop")
    table, column, other = _ids(any_ctx)
    with any_ctx.db.write() as conn:
        conn.execute(sa.update(assets).where(assets.c.id == table).values(domain="Sales"))
    new = [
        events.NewEvent(EventKind.SCHEMA_CHANGE, "table", asset_id=table, payload={"n": 1}),
        # a column names its table, and takes the table's domain
        events.NewEvent(EventKind.SENSITIVE_LABEL, "column", asset_id=column),
        events.NewEvent(EventKind.SCHEMA_CHANGE, "other", asset_id=other, source="given"),
        events.NewEvent(EventKind.SOURCE_UNREACHABLE, "no asset", source="shop", workflow="w"),
        events.NewEvent(EventKind.SCHEMA_CHANGE, "a gone asset", asset_id=10**9),
        events.NewEvent(EventKind.SCHEMA_CHANGE, "x" * 600, asset_id=table),  # cut to 500
    ]
    with any_ctx.db.read() as conn:
        start = events.last_id(conn)
    with any_ctx.db.write() as conn:
        for e in new:
            events.publish(
                conn,
                e.kind,
                e.title,
                asset_id=e.asset_id,
                source=e.source,
                workflow=e.workflow,
                payload=e.payload,
            )
    one_by_one = _outbox(any_ctx, start)
    with any_ctx.db.read() as conn:
        middle = events.last_id(conn)
    with any_ctx.db.write() as conn:
        assert events.publish_many(conn, new) == len(new)
        assert events.publish_many(conn, []) == 0
    batched = _outbox(any_ctx, middle)

    assert batched == one_by_one
    assert [row[2:5] for row in batched[:2]] == [
        (table, table, "urn:sounding:shop:main.orders"),
        (column, table, "urn:sounding:shop:main.orders#email"),
    ]
    assert [row[6] for row in batched[:2]] == ["Sales", "Sales"]
    assert batched[2][5] == "given" and batched[0][5] == "shop"
    assert batched[4][2:5] == (None, None, None)
    assert len(batched[5][1]) == events.TITLE_MAX


def test_publish_many_reads_assets_in_chunks(
    any_ctx: Any, operator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More assets than one IN list holds: every event still names its asset."""
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db", DDL))
    scans.run_scan(any_ctx, operator, "shop")
    table, column, other = _ids(any_ctx)
    monkeypatch.setattr(repo, "CONTEXT_CHUNK", 2)
    many = [
        events.NewEvent(EventKind.SCHEMA_CHANGE, str(i), asset_id=(table, column, other)[i % 3])
        for i in range(1_200)
    ]
    with any_ctx.db.read() as conn:
        start = events.last_id(conn)
    with any_ctx.db.write() as conn:
        events.publish_many(conn, many)
    found = _outbox(any_ctx, start)
    assert [row[1] for row in found] == [str(i) for i in range(1_200)]
    assert [row[3] for row in found] == [(table, table, other)[i % 3] for i in range(1_200)]
