"""DuckDB database files, read through the duckdb module."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sounding.domain.assets import AssetType, ForeignKeyRef, ObjectRef
from sounding.errors import ConnectionFailedError, UnsupportedSourceError
from tests.connectors.helpers import columns_of, discover, open_source


@pytest.fixture
def shop_duckdb(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    for statement in [
        'CREATE SCHEMA "Mixed.Case"',
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL, "
        "status VARCHAR DEFAULT 'new')",
        "COMMENT ON TABLE customers IS 'People who buy'",
        "COMMENT ON COLUMN customers.email IS 'Primary contact'",
        'CREATE TABLE "quo""te" ("Ünïcødé" INTEGER, "with space" DECIMAL(10, 2), '
        "customer_id INTEGER REFERENCES customers (id), "
        'PRIMARY KEY ("Ünïcødé"))',
        'CREATE TABLE "Mixed.Case"."has.dot" (x BIGINT)',
        "CREATE TABLE gone (x INTEGER)",
        "CREATE VIEW broken AS SELECT x FROM gone",
        "CREATE VIEW active AS SELECT id, email FROM customers WHERE status <> 'gone'",
        "DROP TABLE gone",
        "INSERT INTO customers VALUES (1, 'a@example.com', 'new'), (2, 'b@example.com', 'x')",
    ]:
        con.execute(statement)
    con.close()
    return path


def test_discovers_duckdb_file_exactly(shop_duckdb: Path) -> None:
    with open_source(f"duckdb:///{shop_duckdb}") as source:
        assert source.container_types == (AssetType.DATABASE, AssetType.SCHEMA)
        facts = source.test()
        refs = source.list_objects()
        found, failed = discover(source, refs)

    assert facts["databases"] == ["shop"]
    assert facts["schemas"] == ["Mixed.Case", "main"]
    assert refs == [
        ObjectRef(AssetType.TABLE, ("shop", "Mixed.Case", "has.dot")),
        ObjectRef(AssetType.VIEW, ("shop", "main", "active")),
        ObjectRef(AssetType.VIEW, ("shop", "main", "broken")),
        ObjectRef(AssetType.TABLE, ("shop", "main", "customers")),
        ObjectRef(AssetType.TABLE, ("shop", "main", 'quo"te')),
    ]
    assert list(failed) == [("shop", "main", "broken")]
    assert "gone" in failed["shop", "main", "broken"].error

    customers = found["shop", "main", "customers"]
    assert columns_of(customers) == [
        ("id", "INTEGER", False, 1, None, True, None),
        ("email", "VARCHAR", False, 2, None, False, "Primary contact"),
        ("status", "VARCHAR", True, 3, "'new'", False, None),
    ]
    assert customers.comment == "People who buy"
    assert (customers.row_count, customers.row_count_exact) == (2, True)

    quote = found["shop", "main", 'quo"te']
    assert [(c.name, c.data_type) for c in quote.columns] == [
        ("Ünïcødé", "INTEGER"),
        ("with space", "DECIMAL(10,2)"),
        ("customer_id", "INTEGER"),
    ]
    assert quote.primary_key == ("Ünïcødé",)
    assert quote.foreign_keys == (
        ForeignKeyRef(
            ("customer_id",), ("shop", "main", "customers"), ("id",), 'quo"te_customer_id_id_fkey'
        ),
    )

    view = found["shop", "main", "active"]
    assert [(c.name, c.data_type) for c in view.columns] == [
        ("id", "INTEGER"),
        ("email", "VARCHAR"),
    ]
    assert view.view_sql is not None and "'gone'" in view.view_sql
    assert found["shop", "Mixed.Case", "has.dot"].row_count == 0


def test_missing_file_and_bad_url(tmp_path: Path) -> None:
    with (
        open_source(f"duckdb:///{tmp_path / 'nope.duckdb'}") as source,
        pytest.raises(ConnectionFailedError, match="Failed to connect to source 'shop'"),
    ):
        source.test()
    assert not (tmp_path / "nope.duckdb").exists()
    with pytest.raises(UnsupportedSourceError, match="duckdb:///"):
        open_source("duckdb://")
