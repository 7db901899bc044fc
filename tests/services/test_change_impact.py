"""Change impact: a scan's schema changes and what they reach downstream through lineage,
walked over the lineage the views had before the change."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.changes import ChangeImpact, ChangeKind
from sounding.errors import InvalidInputError, NotFoundError
from sounding.features.quality import service as quality
from sounding.services import catalog, change_impact, scans, scheduler, sources, workflows
from sounding.store.repos import changes as changes_repo
from tests.factories import execute, sqlite_source

U = "urn:sounding:shop:main."
KEYS = change_impact._SCHEMA_KEYS
DDL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC, note TEXT, status TEXT);
CREATE TABLE untouched (id INTEGER PRIMARY KEY, label TEXT);
CREATE VIEW order_amounts AS SELECT id, amount FROM orders;
CREATE VIEW doubled AS SELECT id, amount * 2 AS twice FROM order_amounts;
CREATE VIEW notes AS SELECT id, note FROM orders;
INSERT INTO orders VALUES (1, 10, 'a', 'new'), (2, 20, 'b', 'old');
"""
# SQLite refuses to drop a column a view reads: the views go, the column, and they come back
DROP_AMOUNT = """
DROP VIEW doubled; DROP VIEW order_amounts;
ALTER TABLE orders DROP COLUMN amount;
CREATE VIEW order_amounts AS SELECT id FROM orders;
CREATE VIEW doubled AS SELECT id FROM order_amounts;
"""


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db, DDL))
    scans.run_scan(any_ctx, operator, "shop")
    return db


def _by_asset(found: list[ChangeImpact]) -> dict[str, ChangeImpact]:
    return {c.asset.urn: c for c in found}


def test_a_dropped_column_reaches_the_views_that_read_it(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    catalog.update_asset(any_ctx, operator, U + "doubled", {"owner": "bob"})
    catalog.update_asset(any_ctx, operator, U + "order_amounts", {"owner": "ann"})
    rule = quality.create_rule(
        any_ctx, operator, U + "orders", {"kind": "not_null", "column": "amount", "name": "amt"}
    )
    execute(shop, DROP_AMOUNT)
    scan = scans.run_scan(any_ctx, operator, "shop")

    found = change_impact.impact_since(any_ctx, operator, before)
    changes = _by_asset(found)
    dropped = changes[U + "orders#amount"]
    assert dropped.kind == ChangeKind.COLUMN_DROPPED and dropped.level == "column"
    assert dropped.recorded and not dropped.truncated and dropped.source == "shop"
    assert [(r.id, r.name, r.column) for r in dropped.rules] == [(rule.id, "amt", "amount")]
    affected = {a.urn: a for a in dropped.affected}
    assert set(affected) == {U + "order_amounts#amount", U + "doubled#twice"}
    near, far = affected[U + "order_amounts#amount"], affected[U + "doubled#twice"]
    assert (near.distance, near.owner, near.object_urn) == (1, "ann", U + "order_amounts")
    assert (far.distance, far.owner, far.object_urn) == (2, "bob", U + "doubled")
    assert near.gone and far.gone  # the redefined views dropped those columns too
    assert dropped.affected_total == 2
    # the views' own dropped columns are changes too, with what they reached
    assert [a.urn for a in changes[U + "order_amounts#amount"].affected] == [U + "doubled#twice"]
    assert changes[U + "doubled#twice"].affected == ()
    # and they are consequences of the table's change: the nearest upstream one is named
    assert dropped.caused_by is None
    assert changes[U + "order_amounts#amount"].caused_by == dropped.event_id
    assert changes[U + "doubled#twice"].caused_by == changes[U + "order_amounts#amount"].event_id
    # the column that only moved up a place (status) and untouched tables are no change
    assert U + "orders#status" not in changes and U + "untouched" not in changes
    # ordinal shifts, most events after a drop, are left in the store, not read and skipped
    with any_ctx.db.read() as conn:
        read = {e["urn"] for e in changes_repo.breaking_events(conn, [scan.id], KEYS)}
    assert U + "orders#amount" in read and U + "orders#status" not in read
    assert {c.kind for c in found} == {ChangeKind.COLUMN_DROPPED}
    # one source, or a time after the scan
    assert change_impact.impact_since(any_ctx, operator, before, "shop") == found
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert change_impact.impact_since(any_ctx, operator, later) == []
    assert len(change_impact.impact_since(any_ctx, operator, before, limit=1)) == 1


def test_dropped_tables_follow_table_lineage_and_renames_are_named(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    catalog.update_asset(any_ctx, operator, U + "notes", {"owner": "cat"})
    execute(shop, "ALTER TABLE orders RENAME COLUMN note TO remark;")
    scans.run_scan(any_ctx, operator, "shop")
    renamed = _by_asset(change_impact.impact_since(any_ctx, operator, before))
    change = renamed[U + "orders#note"]
    assert (change.kind, change.new_name) == (ChangeKind.COLUMN_RENAMED, "remark")
    assert [(a.urn, a.owner) for a in change.affected] == [(U + "notes#note", "cat")]

    middle = datetime.now(UTC)
    execute(shop, "DROP TABLE orders;")  # the views stay, and now fail
    scans.run_scan(any_ctx, operator, "shop")
    dropped = _by_asset(change_impact.impact_since(any_ctx, operator, middle))
    table = dropped[U + "orders"]
    assert (table.kind, table.level) == (ChangeKind.TABLE_DROPPED, "table")
    assert table.asset.type == "table"
    assert {(a.urn, a.distance) for a in table.affected} == {
        (U + "order_amounts", 1),
        (U + "notes", 1),
        (U + "doubled", 2),
    }
    assert {a.owner for a in table.affected if a.urn == U + "notes"} == {"cat"}


def test_a_retyped_column_is_a_change(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    db = tmp_path / "typed.db"
    sources.add(any_ctx, operator, "typed", sqlite_source(db, DDL))
    scans.run_scan(any_ctx, operator, "typed")
    before = datetime.now(UTC) - timedelta(seconds=1)
    execute(
        db,
        "DROP VIEW notes; CREATE TABLE o2 (id INTEGER PRIMARY KEY, amount NUMERIC, note INTEGER,"
        " status TEXT); DROP VIEW doubled; DROP VIEW order_amounts; DROP TABLE orders;"
        " ALTER TABLE o2 RENAME TO orders; CREATE VIEW notes AS SELECT id, note FROM orders;",
    )
    scans.run_scan(any_ctx, operator, "typed")
    found = change_impact.impact_since(any_ctx, operator, before, "typed")
    retyped = {c.asset.urn: c for c in found if c.kind == ChangeKind.COLUMN_RETYPED}
    urn = "urn:sounding:typed:main."
    # the view's column takes its type from the table's: both changed
    assert set(retyped) == {urn + "orders#note", urn + "notes#note"}
    column = retyped[urn + "orders#note"]
    assert (column.old_type, column.new_type) == ("TEXT", "INTEGER")
    assert [(a.urn, a.distance, a.gone) for a in column.affected] == [
        (urn + "notes#note", 1, False)
    ]


def test_bad_calls_are_refused(any_ctx: Any, operator: Any, shop: Path) -> None:
    since = datetime.now(UTC)
    with pytest.raises(NotFoundError):
        change_impact.impact_since(any_ctx, operator, since, "nowhere")
    with pytest.raises(InvalidInputError):
        change_impact.impact_since(any_ctx, operator, since, limit=0)


def test_a_source_changed_trigger_carries_the_impact(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    """A scan run in-process (its lineage stage already ran when the trigger fires): the
    payload is the impact walked before that stage."""
    scheduler.start(ctx).stop_polling()
    db = tmp_path / "shop.db"
    sources.add(ctx, operator, "shop", sqlite_source(db, DDL))
    scans.run_scan(ctx, operator, "shop")
    catalog.update_asset(ctx, operator, U + "doubled", {"owner": "bob"})
    flow = {
        "name": "on-change",
        "triggers": [{"type": "source_changed", "source": "shop"}],
        "steps": [{"id": "work", "type": "noop"}],
    }
    workflows.apply_workflow(ctx, operator, flow)
    execute(db, DROP_AMOUNT)
    scan = scans.run_scan(ctx, operator, "shop")
    deadline = time.monotonic() + 10
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not runs:
        runs = workflows.list_executions(ctx, operator, workflow="on-change", limit=10)
        time.sleep(0.05)
    (run,) = runs
    params = workflows.get_execution(ctx, operator, run.id).params
    payload = params["source_changed"]
    assert (payload["source"], payload["scan_id"]) == ("shop", scan.id)
    changes = {c["asset"]["urn"]: c for c in payload["changes"]}
    dropped = changes[U + "orders#amount"]
    assert dropped["kind"] == "column_dropped" and dropped["recorded"] is True
    assert [(a["urn"], a["distance"], a["owner"]) for a in dropped["affected"]] == [
        (U + "order_amounts#amount", 1, None),
        (U + "doubled#twice", 2, "bob"),
    ]
    expected = change_impact.impact_of_scan(ctx, scan.id)
    assert payload["changes"] == [c.to_dict() for c in expected]
