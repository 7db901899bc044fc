"""The demo lake: CSV, Parquet and NDJSON files DuckDB reads, and one partitioned dataset."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sounding.demo.lake import PARTITION_DAYS, PARTITIONED_DATASET
from tests.demo.conftest import BuiltDemo

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\(?\d[\d ().x-]{7,}\d")


@pytest.fixture
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _lake(demo: BuiltDemo) -> Path:
    return demo.workspace.files_dir


def test_lake_holds_csv_parquet_ndjson_and_a_partitioned_dataset(demo: BuiltDemo) -> None:
    files = sorted(str(p.relative_to(_lake(demo))) for p in _lake(demo).rglob("*") if p.is_file())
    assert {
        "marketing_leads.csv",
        "product_catalog_export.csv",
        "clickstream.parquet",
        "support_tickets.ndjson",
    } <= set(files)
    parts = [name for name in files if name.startswith(f"{PARTITIONED_DATASET}/")]
    assert len(parts) == PARTITION_DAYS
    assert all(re.fullmatch(r"app_events/date=\d{4}-\d{2}-\d{2}/part-0\.parquet", p) for p in parts)
    assert not [name for name in files if "staging" in name]


def test_every_file_reads_in_duckdb(demo: BuiltDemo, duck: duckdb.DuckDBPyConnection) -> None:
    lake = _lake(demo)
    readers = {
        "marketing_leads.csv": "read_csv",
        "product_catalog_export.csv": "read_csv",
        "clickstream.parquet": "read_parquet",
        "support_tickets.ndjson": "read_json",
    }
    counts = {
        name: duck.execute(f"SELECT COUNT(*) FROM {reader}(?)", [str(lake / name)]).fetchone()
        for name, reader in readers.items()
    }
    assert counts["marketing_leads.csv"] == (demo.plan.leads,)
    assert counts["product_catalog_export.csv"] == (demo.plan.products,)
    assert counts["support_tickets.ndjson"] == (demo.plan.support_tickets,)
    assert counts["clickstream.parquet"] is not None and counts["clickstream.parquet"][0] > 1000
    described = duck.execute(
        "DESCRIBE SELECT * FROM read_parquet(?)", [str(lake / "clickstream.parquet")]
    ).fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["event_at"] == "TIMESTAMP" and types["ip_address"] == "VARCHAR"


def test_partitions_read_as_one_dataset(demo: BuiltDemo, duck: duckdb.DuckDBPyConnection) -> None:
    pattern = str(_lake(demo) / PARTITIONED_DATASET / "*" / "*.parquet")
    rows = duck.execute(
        "SELECT date, COUNT(*), COUNT(DISTINCT event_id)"
        " FROM read_parquet(?, hive_partitioning = true) GROUP BY date ORDER BY date",
        [pattern],
    ).fetchall()
    assert len(rows) == PARTITION_DAYS
    assert str(rows[0][0]) == "2025-12-18" and str(rows[-1][0]) == "2025-12-31"
    assert all(count == demo.plan.app_events_per_day for _, count, _ in rows)
    schemas = {
        tuple(duck.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(part)]).fetchall())
        for part in (_lake(demo) / PARTITIONED_DATASET).glob("*/*.parquet")
    }
    assert len(schemas) == 1, "every part file has the same schema"


def test_support_tickets_hide_contact_details_in_free_text(demo: BuiltDemo) -> None:
    lines = (_lake(demo) / "support_tickets.ndjson").read_text(encoding="utf-8").splitlines()
    tickets = [json.loads(line) for line in lines]
    with_email = [t for t in tickets if EMAIL.search(t["body"])]
    with_phone = [t for t in tickets if PHONE.search(t["body"])]
    assert len(with_email) > len(tickets) / 4
    assert len(with_phone) > len(tickets) / 10
    # inside sentences, not as a bare value
    assert all(len(t["body"].split()) > 8 for t in with_email)


def test_leads_carry_personal_data(demo: BuiltDemo, duck: duckdb.DuckDBPyConnection) -> None:
    leads = str(_lake(demo) / "marketing_leads.csv")
    columns = [
        row[0] for row in duck.execute("DESCRIBE SELECT * FROM read_csv(?)", [leads]).fetchall()
    ]
    assert {"first_name", "last_name", "email", "phone"} <= set(columns)
    emails = duck.execute("SELECT email FROM read_csv(?)", [leads]).fetchall()
    assert all(EMAIL.fullmatch(email) for (email,) in emails)
