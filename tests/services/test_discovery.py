"""Discovery scans end to end: a real SQLite source, the real store, exact events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.errors import NotFoundError
from sounding.services import catalog, scans, sources
from tests.factories import diffs_of, events_of, execute, sqlite_source


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db))
    return db


def test_first_scan_creates_every_asset(any_ctx: Any, operator: Any, shop: Path) -> None:
    run = scans.run_scan(any_ctx, operator, "shop")
    assert run.status == "completed"
    events = events_of(any_ctx, operator, run.id)
    assert ("", "created") in events  # the source itself
    assert ("main", "created") in events
    for name in ("main.customers", "main.orders", "main.big_orders"):
        assert (name, "created") in events
    assert {e for e in events if e[1] != "created" or "#" in e[0]} == set()
    diff = diffs_of(any_ctx, operator, run.id)[("main.orders", "created")]
    assert diff == {"columns": ["id", "customer_id", "amount"]}
    assert run.report["created"] == 3 + 3 + 3 + 2 + 2  # source, db, 3 objects, 8 columns
    orders = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.orders")
    assert [c.name for c in orders.columns] == ["id", "customer_id", "amount"]
    assert orders.object_facts.row_count == 3
    assert orders.object_facts.foreign_keys[0]["referred_urn"] == "urn:sounding:shop:main.customers"
    view = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.big_orders")
    assert view.type == "view" and "JOIN customers" in view.object_facts.view_sql


def test_rescan_of_unchanged_source_produces_no_events(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    scans.run_scan(any_ctx, operator, "shop")
    run = scans.run_scan(any_ctx, operator, "shop")
    assert events_of(any_ctx, operator, run.id) == set()
    assert run.report["objects_skipped_unchanged"] == 3


def test_schema_changes_produce_exact_events(any_ctx: Any, operator: Any, shop: Path) -> None:
    scans.run_scan(any_ctx, operator, "shop")
    execute(
        shop,
        """
        DROP VIEW big_orders;
        ALTER TABLE customers ADD COLUMN phone TEXT;
        ALTER TABLE orders DROP COLUMN amount;
        CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER);
        """,
    )
    run = scans.run_scan(any_ctx, operator, "shop")
    assert events_of(any_ctx, operator, run.id) == {
        ("main.customers#phone", "created"),
        ("main.customers", "schema_changed"),
        ("main.orders#amount", "deleted"),
        ("main.orders", "schema_changed"),
        ("main.refunds", "created"),
        ("main.big_orders", "deleted"),
    }
    diffs = diffs_of(any_ctx, operator, run.id)
    assert diffs[("main.customers", "schema_changed")]["added_columns"] == ["phone"]
    assert diffs[("main.orders", "schema_changed")]["removed_columns"] == ["amount"]
    assert diffs[("main.big_orders", "deleted")] == {"columns": ["id", "email"]}
    assert diffs[("main.refunds", "created")] == {"columns": ["id", "order_id"]}
    assert run.report["created"] == 4 and run.report["deleted"] == 4
    gone = catalog.list_assets(any_ctx, operator, limit=10, offset=0, q="big_orders")
    assert gone[1] == 0
    kept = catalog.list_assets(
        any_ctx, operator, limit=10, offset=0, q="big_orders", include_deleted=True
    )
    assert kept[1] == 3  # soft-deleted, history kept


def test_type_change_and_restore(any_ctx: Any, operator: Any, shop: Path) -> None:
    scans.run_scan(any_ctx, operator, "shop")
    execute(
        shop,
        """
        CREATE TABLE c2 (id INTEGER PRIMARY KEY, email VARCHAR(200), name TEXT);
        INSERT INTO c2 SELECT * FROM customers;
        DROP VIEW big_orders; DROP TABLE customers; ALTER TABLE c2 RENAME TO customers;
        """,
    )
    run = scans.run_scan(any_ctx, operator, "shop")
    events = events_of(any_ctx, operator, run.id)
    assert ("main.customers#email", "schema_changed") in events
    assert ("main.customers", "schema_changed") in events
    diff = diffs_of(any_ctx, operator, run.id)[("main.customers#email", "schema_changed")]
    assert diff["data_type"] == {"old": "TEXT", "new": "VARCHAR(200)"}
    assert diff["nullable"] == {"old": False, "new": True}
    execute(
        shop,
        "CREATE VIEW big_orders AS SELECT o.id, c.email FROM orders o "
        "JOIN customers c ON c.id = o.customer_id WHERE o.amount > 100;",
    )
    run = scans.run_scan(any_ctx, operator, "shop")
    events = events_of(any_ctx, operator, run.id)
    assert events == {("main.big_orders", "restored")}
    assert run.report["restored"] == 3
    view = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.big_orders")
    assert [c.name for c in view.columns] == ["id", "email"] and not view.deleted


def test_view_redefinition_is_an_update(any_ctx: Any, operator: Any, shop: Path) -> None:
    scans.run_scan(any_ctx, operator, "shop")
    execute(
        shop,
        "DROP VIEW big_orders; CREATE VIEW big_orders AS SELECT o.id, c.email "
        "FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.amount > 200;",
    )
    run = scans.run_scan(any_ctx, operator, "shop")
    events = events_of(any_ctx, operator, run.id)
    assert events == {("main.big_orders", "updated")}
    diff = diffs_of(any_ctx, operator, run.id)[("main.big_orders", "updated")]
    assert "200" in diff["view_sql"]["new"]


def test_broken_view_is_a_failure_and_the_scan_goes_on(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    execute(
        shop, "CREATE TABLE tmp (x INT); CREATE VIEW broken AS SELECT x FROM tmp; DROP TABLE tmp;"
    )
    run = scans.run_scan(any_ctx, operator, "shop")
    assert run.status == "completed_with_failures"
    assert run.report["failures_total"] == 1
    assert run.report["failures"][0]["target"].endswith("main.broken")
    assert ("main.orders", "created") in events_of(any_ctx, operator, run.id)


def test_curated_metadata_survives_rescans(any_ctx: Any, operator: Any, shop: Path) -> None:
    scans.run_scan(any_ctx, operator, "shop")
    urn = "urn:sounding:shop:main.customers"
    catalog.update_asset(any_ctx, operator, urn, {"owner": "ann", "tags": ["pii", "gold"]})
    execute(shop, "ALTER TABLE customers ADD COLUMN phone TEXT;")
    scans.run_scan(any_ctx, operator, "shop")
    asset = catalog.get_asset(any_ctx, operator, urn)
    assert asset.owner == "ann" and asset.tags == ("gold", "pii")
    tagged = catalog.list_assets(any_ctx, operator, limit=10, offset=0, tag="pii")
    assert [a.urn for a in tagged[0]] == [urn]


def test_include_exclude_patterns(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "f.db")
    sources.add(any_ctx, operator, "filtered", url, include=r"orders|customers", exclude="big_")
    scans.run_scan(any_ctx, operator, "filtered")
    names = {
        a.name
        for a in catalog.list_assets(
            any_ctx, operator, limit=100, offset=0, source="filtered", type="table"
        )[0]
    }
    views = catalog.list_assets(
        any_ctx, operator, limit=100, offset=0, source="filtered", type="view"
    )[1]
    assert names == {"orders", "customers"} and views == 0


def test_removing_a_source_removes_its_assets(any_ctx: Any, operator: Any, shop: Path) -> None:
    scans.run_scan(any_ctx, operator, "shop")
    sources.remove(any_ctx, operator, "shop")
    with pytest.raises(NotFoundError):
        catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.orders")


def test_file_patterns_see_plain_names(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "people.csv").write_text("id,email\n1,a@example.com\n")
    (lake / "notes.json").write_text('[{"id": 1}]')
    sources.add(any_ctx, operator, "lake", lake.as_uri(), include=r"\.csv$")
    scans.run_scan(any_ctx, operator, "lake")
    names = [
        a.name
        for a in catalog.list_assets(
            any_ctx, operator, limit=10, offset=0, source="lake", type="dataset"
        )[0]
    ]
    assert names == ["people.csv"]


def test_first_scan_links_the_database_to_its_source(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    # the source and its database are created in the same write: the database must still
    # get the source as parent, so browsing down from the source reaches it
    scans.run_scan(any_ctx, operator, "shop")
    source = catalog.get_asset(any_ctx, operator, "urn:sounding:shop")
    database = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main")
    orders = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.orders")
    assert database.parent_id == source.id
    assert orders.parent_id == database.id
