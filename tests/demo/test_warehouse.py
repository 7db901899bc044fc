"""The demo warehouse: shape, lineage-worthy views, valid personal data, determinism."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from stdnum import iban, luhn

from sounding.demo.plan import plan_demo
from sounding.demo.warehouse import OWNERLESS_TABLE, TABLE_OWNERS, build_demo_workspace
from sounding.errors import InvalidInputError
from tests.demo.conftest import BuiltDemo

Snapshot = dict[str, list[tuple[object, ...]]]


def _names(db: sqlite3.Connection, kind: str) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name",
        (kind,),
    )
    return [row[0] for row in rows]


def _view_sql(db: sqlite3.Connection) -> dict[str, str]:
    return dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())


def _snapshot(warehouse: Path) -> Snapshot:
    """Every row of every table and view, sorted, keyed by name."""
    with closing(sqlite3.connect(warehouse)) as db:
        names = _names(db, "table") + _names(db, "view")
        return {
            name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }


def test_build_is_fast_and_registers_two_sources(demo: BuiltDemo) -> None:
    assert demo.seconds < 20, f"demo build took {demo.seconds:.1f} s of CPU"
    (warehouse_name, warehouse_url), (lake_name, lake_url) = demo.workspace.sources()
    assert (warehouse_name, lake_name) == ("warehouse", "lake")
    assert lake_url == demo.workspace.files_dir.as_uri()
    engine = sa.create_engine(warehouse_url)
    try:
        with engine.connect() as connection:
            customers = connection.execute(sa.text("SELECT COUNT(*) FROM raw_customers"))
            assert customers.scalar_one() == 2000
    finally:
        engine.dispose()


def test_layers_have_at_least_15_tables_and_8_views(db: sqlite3.Connection) -> None:
    tables, views = _names(db, "table"), _names(db, "view")
    assert len(tables) >= 15
    assert len(views) >= 8
    assert all(name.startswith("raw_") for name in tables)
    assert {name.split("_")[0] for name in views} == {"stg", "mart"}


def test_every_view_selects_rows(db: sqlite3.Connection) -> None:
    for name in _names(db, "view"):
        count = db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
        assert count > 0, name


def test_views_join_aggregate_and_read_other_views(db: sqlite3.Connection) -> None:
    views = _view_sql(db)
    features = {
        "join": r"\bJOIN\b",
        "group by": r"\bGROUP BY\b",
        "cte": r"^\s*CREATE VIEW \w+ AS\s+WITH\b",
        "window": r"\bOVER\s*\(",
        "union": r"\bUNION\b",
    }
    for name, sql in views.items():
        assert re.search(r"\bJOIN\b|\bGROUP BY\b|\bOVER\s*\(|\bUNION\b", sql), name
    for feature, pattern in features.items():
        assert any(re.search(pattern, sql) for sql in views.values()), feature
    upstream = {
        name: {table.name for table in sqlglot.parse_one(sql, read="sqlite").find_all(exp.Table)}
        for name, sql in views.items()
    }
    view_on_view = {name for name, sources in upstream.items() if sources & set(views) - {name}}
    assert {"mart_order_summary", "mart_daily_revenue", "mart_cohort_retention"} <= view_on_view
    # raw -> stg -> mart -> mart: four layers of lineage
    assert "stg_orders" in upstream["mart_order_summary"]
    assert "mart_order_summary" in upstream["mart_daily_revenue"]


def test_relationships_are_declared(db: sqlite3.Connection) -> None:
    foreign_keys = {
        (table, str(fk[3]), str(fk[2]))
        for table in _names(db, "table")
        for fk in db.execute(f'PRAGMA foreign_key_list("{table}")')
    }
    assert ("raw_orders", "customer_id", "raw_customers") in foreign_keys
    assert ("raw_order_items", "order_id", "raw_orders") in foreign_keys
    assert ("raw_categories", "parent_category_id", "raw_categories") in foreign_keys
    assert len(foreign_keys) >= 20
    for table in _names(db, "table"):
        primary = [col for col in db.execute(f'PRAGMA table_info("{table}")') if col[5]]
        assert primary, f"{table} has no primary key"


def test_customers_carry_realistic_personal_data(db: sqlite3.Connection) -> None:
    row = db.execute(
        "SELECT email, username, password_hash, date_of_birth, signup_ip, postal_code"
        " FROM raw_customers WHERE phone_number IS NOT NULL ORDER BY customer_id LIMIT 1"
    ).fetchone()
    email, username, password_hash, birth, ip_address, postal_code = row
    assert re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}", email)
    assert username and postal_code
    assert password_hash.startswith("$2b$12$") and len(password_hash) == 60
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth)
    assert re.fullmatch(r"[0-9a-f.:]+", ip_address)
    countries = db.execute("SELECT COUNT(DISTINCT country_code) FROM raw_customers").fetchone()
    assert countries[0] >= 5


def test_card_numbers_pass_luhn_and_ibans_pass_mod97(db: sqlite3.Connection) -> None:
    cards = [r[0] for r in db.execute("SELECT card_number FROM raw_payment_methods")]
    cards = [card for card in cards if card is not None]
    ibans = [r[0] for r in db.execute("SELECT iban FROM raw_payment_methods WHERE iban > ''")]
    ibans += [r[0] for r in db.execute("SELECT iban FROM raw_suppliers WHERE iban > ''")]
    assert len(cards) > 1000 and len(ibans) > 100
    assert all(luhn.is_valid(card) for card in cards)
    assert all(iban.is_valid(number) for number in ibans)
    masked = db.execute(
        "SELECT card_number_masked FROM stg_payment_methods WHERE card_number_masked IS NOT NULL"
    ).fetchall()
    assert all(re.fullmatch(r"\*{4} \d{4}", value) for (value,) in masked)


def test_planted_defects_have_exact_counts(demo: BuiltDemo, db: sqlite3.Connection) -> None:
    plan = demo.plan

    def scalar(sql: str) -> object:
        return db.execute(sql).fetchone()[0]

    assert (plan.duplicate_emails, plan.orphan_orders, plan.negative_quantities) == (20, 12, 25)
    assert scalar("SELECT COUNT(email) - COUNT(DISTINCT email) FROM raw_customers") == 20
    assert scalar("SELECT COUNT(*) FROM stg_customers WHERE is_duplicate_email") == 20
    assert scalar("SELECT COUNT(*) FROM raw_customers WHERE phone_number IS NULL") == 600
    orphans = scalar(
        "SELECT COUNT(*) FROM raw_orders AS o"
        " LEFT JOIN raw_customers AS c ON c.customer_id = o.customer_id"
        " WHERE c.customer_id IS NULL"
    )
    assert orphans == 12
    assert db.execute("PRAGMA foreign_key_check(raw_orders)").fetchall()
    assert scalar("SELECT COUNT(*) FROM raw_order_items WHERE quantity < 0") == 25
    # PCI: full card numbers, unmasked, in a raw table.
    assert scalar("SELECT COUNT(*) FROM raw_payment_methods WHERE length(card_number) >= 15") > 0


def test_exchange_rates_are_stale_while_the_rest_is_fresh(db: sqlite3.Connection) -> None:
    newest_rate = db.execute("SELECT MAX(loaded_at) FROM raw_exchange_rates").fetchone()[0]
    newest_order = db.execute("SELECT MAX(ordered_at) FROM raw_orders").fetchone()[0]
    assert newest_rate < "2025-07-02"
    assert newest_order.startswith("2025-12-31")


def test_loyalty_members_are_the_only_ownerless_table(db: sqlite3.Connection) -> None:
    everything = set(_names(db, "table")) | set(_names(db, "view"))
    assert OWNERLESS_TABLE == "raw_loyalty_members"
    assert everything - set(TABLE_OWNERS) == {OWNERLESS_TABLE}
    assert set(TABLE_OWNERS) <= everything
    columns = {col[1] for col in db.execute("PRAGMA table_info(raw_loyalty_members)")}
    assert {"email", "phone_number", "date_of_birth"} <= columns


def test_same_seed_builds_identical_data_and_other_seed_differs(tmp_path: Path) -> None:
    first = build_demo_workspace(tmp_path / "a", seed=11, scale=0.1)
    # A second process with another hash seed: no set or dict ordering leaks into the data.
    script = (
        "import sys; from pathlib import Path;"
        " from sounding.demo.warehouse import build_demo_workspace;"
        " build_demo_workspace(Path(sys.argv[1]), seed=11, scale=0.1)"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "b")], check=True, env=environment)
    other = build_demo_workspace(tmp_path / "c", seed=12, scale=0.1)
    snapshot = _snapshot(first.warehouse_path)
    assert snapshot == _snapshot(tmp_path / "b" / "warehouse.sqlite")
    assert snapshot["raw_customers"] != _snapshot(other.warehouse_path)["raw_customers"]
    assert _lake_snapshot(first.files_dir) == _lake_snapshot(tmp_path / "b" / "lake")


def _lake_snapshot(lake: Path) -> dict[str, list[tuple[object, ...]]]:
    with closing(duckdb.connect()) as duck:
        return {
            str(path.relative_to(lake)): sorted(
                duck.execute(f"SELECT * FROM {_reader(path)}(?)", [str(path)]).fetchall(), key=repr
            )
            for path in sorted(lake.rglob("*.*"))
        }


def _reader(path: Path) -> str:
    return {".csv": "read_csv", ".parquet": "read_parquet", ".ndjson": "read_json"}[path.suffix]


def test_rebuild_replaces_the_previous_workspace(tmp_path: Path) -> None:
    build_demo_workspace(tmp_path, seed=1, scale=0.05)
    (tmp_path / "lake" / "stray.csv").write_text("a\n1\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    workspace = build_demo_workspace(tmp_path, seed=2, scale=0.05)
    assert not (tmp_path / "lake" / "stray.csv").exists()
    assert notes.read_text() == "mine"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "lake",
        "notes.txt",
        "warehouse.sqlite",
    ]
    fresh = build_demo_workspace(tmp_path / "fresh", seed=2, scale=0.05)
    assert _snapshot(workspace.warehouse_path) == _snapshot(fresh.warehouse_path)


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), 1000.0])
def test_invalid_scale_is_rejected(tmp_path: Path, scale: float) -> None:
    with pytest.raises(InvalidInputError):
        build_demo_workspace(tmp_path, scale=scale)
    assert not any(tmp_path.iterdir())


def test_small_scale_still_plants_every_defect(tmp_path: Path) -> None:
    plan = plan_demo(3, 0.05)
    workspace = build_demo_workspace(tmp_path, seed=3, scale=0.05)
    with closing(sqlite3.connect(workspace.warehouse_path)) as db:
        counts = db.execute(
            "SELECT (SELECT COUNT(email) - COUNT(DISTINCT email) FROM raw_customers),"
            " (SELECT COUNT(*) FROM raw_customers WHERE phone_number IS NULL),"
            " (SELECT COUNT(*) FROM raw_orders WHERE customer_id >= 900000),"
            " (SELECT COUNT(*) FROM raw_order_items WHERE quantity < 0)"
        ).fetchone()
    expected = (
        plan.duplicate_emails,
        plan.null_phone_numbers,
        plan.orphan_orders,
        plan.negative_quantities,
    )
    assert counts == expected
    assert min(expected) >= 2
