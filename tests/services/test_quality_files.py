"""Quality rules on data files (CSV and Parquet), pushed down to DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from sounding.domain.auth import Principal
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.services import scans, sources
from tests import quality_sources as qs


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_rules_on_files_find_the_planted_defects(
    ctx: Any, operator: Principal, tmp_path: Path, fmt: str
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    con = duckdb.connect()
    for name, rows in (("customers", qs.customer_rows()), ("orders", qs.order_rows())):
        cols = list(rows[0])
        values = ", ".join(
            "(" + ", ".join("NULL" if r[c] is None else repr(str(r[c])) for c in cols) + ")"
            for r in rows
        )
        types = {"id": "INTEGER", "customer_id": "INTEGER", "qty": "INTEGER", "score": "DOUBLE"}
        select = ", ".join(f"CAST({c} AS {types.get(c, 'VARCHAR')}) AS {c}" for c in cols)
        con.execute(
            f"COPY (SELECT {select} FROM (VALUES {values}) AS t({', '.join(cols)})) "
            f"TO '{lake / f'{name}.{fmt}'}' (FORMAT {fmt})"
        )
    con.close()
    sources.add(ctx, operator, "lake", f"file://{lake}")
    scans.run_scan(ctx, operator, "lake")
    text = qs.rule_file("lake", f"customers.{fmt}", f"orders.{fmt}")
    assert quality.apply_rule_file(ctx, operator, text).created == 11
    run = quality_runs.run_quality(ctx, operator, "lake")
    assert run.rules_errored == 0, [r.error for r in run.results if r.error]
    failing = {r.rule: r.failing_count for r in run.results if r.passed is False}
    assert failing == qs.EXPECTED


def test_rules_on_a_duckdb_database(ctx: Any, operator: Principal, tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR, phone VARCHAR, "
        "status VARCHAR, score DOUBLE, created_at TIMESTAMP)"
    )
    con.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
        [list(r.values()) for r in qs.customer_rows()],
    )
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, qty INTEGER)")
    con.executemany(
        "INSERT INTO orders VALUES (?, ?, ?)", [list(r.values()) for r in qs.order_rows()]
    )
    con.close()
    sources.add(ctx, operator, "duck", f"duckdb:///{path}")
    scans.run_scan(ctx, operator, "duck")
    text = qs.rule_file("duck", "shop.main.customers", "shop.main.orders")
    assert quality.apply_rule_file(ctx, operator, text).created == 11
    run = quality_runs.run_quality(ctx, operator, "duck")
    failing = {r.rule: r.failing_count for r in run.results if r.passed is False}
    assert failing == qs.EXPECTED
