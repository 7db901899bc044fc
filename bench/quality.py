"""Quality benchmark: the full single-table rule suite on the profiling bench's 10M-row table.

For SQLite and Parquet (DuckDB) it times:

1. **ours**: the product's path for one table (``features.quality.runs.check_table``): the rules
   compiled into one aggregate query through the connector, then example rows for the rules
   that failed;
2. **the floor**: the same checks written by hand as ONE aggregate SQL query on a plain
   connection (no examples).

Rules: not_null(amount) (5% NULL: fails, so examples are fetched), unique(id),
accepted_values(status), range(quantity 1..20), regex(email), freshness(created_at),
row_count >= 1. Data comes from ``bench/profiling.py`` (cached under bench/.out/profiling).

    .venv/bin/python bench/quality.py [--rows 10000000] [--engines sqlite,parquet] [--repeat 1]

Prints one JSON line on stdout; progress goes to stderr. Goal: ours within 2x of the floor.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profiling import generate, log
from sounding.connectors.base import QualityRunner, SourceConfig
from sounding.connectors.registry import default_registry
from sounding.connectors.sql_sqlite import sqlite_regexp
from sounding.domain.assets import AssetType
from sounding.domain.quality import validate_rule
from sounding.domain.urn import join_qualified
from sounding.features.quality.runs import check_table

EMAIL = r"^user\d+@example\.com$"
RULES = [
    {"kind": "not_null", "column": "amount"},
    {"kind": "unique", "column": "id"},
    {
        "kind": "accepted_values",
        "column": "status",
        "values": ["new", "paid", "shipped", "returned", "cancelled"],
    },
    {"kind": "range", "column": "quantity", "min": 1, "max": 20},
    {"kind": "regex", "column": "email", "pattern": EMAIL},
    {"kind": "freshness", "column": "created_at", "max_age": "3650d"},
    {"kind": "row_count", "min": 1},
]


def floor_sql(relation: str, regex: str) -> str:
    return (
        "SELECT count(*), sum(CASE WHEN amount IS NULL THEN 1 ELSE 0 END), "
        "count(id) - count(DISTINCT id), "
        "sum(CASE WHEN status IS NOT NULL AND status NOT IN "
        "('new', 'paid', 'shipped', 'returned', 'cancelled') THEN 1 ELSE 0 END), "
        "sum(CASE WHEN quantity < 1 OR quantity > 20 THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN email IS NOT NULL AND NOT ({regex}) THEN 1 ELSE 0 END), "
        f"max(created_at) FROM {relation}"
    )


def time_ours(url: str, path: tuple[str, ...], kind: AssetType) -> tuple[float, list[Any]]:
    rules = [validate_rule(r) for r in RULES]
    table = {"type": kind.value, "qualified_name": join_qualified(path), "primary_key": ["id"]}
    source = default_registry().open(SourceConfig(name="bench", url=url))
    with source:
        assert isinstance(source, QualityRunner)
        started = time.perf_counter()
        outcomes = check_table(None, source, table, rules, datetime.now(UTC), {})  # type: ignore[arg-type]
        return time.perf_counter() - started, outcomes


def time_floor_sqlite(path: Path) -> float:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.create_function("regexp", 2, sqlite_regexp, deterministic=True)
    started = time.perf_counter()
    con.execute(floor_sql("events", f"email REGEXP '{EMAIL}'")).fetchall()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def time_floor_parquet(path: Path) -> float:
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(
        floor_sql(f"read_parquet('{path}')", f"regexp_matches(email, '{EMAIL}')")
    ).fetchall()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engines", default="sqlite,parquet")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sqlite_path, parquet = generate(args.rows)
    figures: dict[str, Any] = {
        "bench": "quality",
        "rows": args.rows,
        "rules": len(RULES),
        "python": platform.python_version(),
    }
    for engine in args.engines.split(","):
        if engine == "sqlite":
            url, path, kind = f"sqlite:///{sqlite_path}", ("main", "events"), AssetType.TABLE
            floor = time_floor_sqlite
            target: Path = sqlite_path
        else:
            url, path, kind = f"file://{parquet.parent}", ("events.parquet",), AssetType.DATASET
            floor = time_floor_parquet
            target = parquet
        ours, floors, failed = [], [], 0
        for _ in range(args.repeat):
            log(f"{engine}: ours")
            seconds, outcomes = time_ours(url, path, kind)
            ours.append(seconds)
            failed = sum(1 for o in outcomes if o.passed is False)
            assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
            log(f"{engine}: floor")
            floors.append(floor(target))
        best, best_floor = min(ours), min(floors)
        figures[engine] = {
            "ours_s": round(best, 3),
            "floor_s": round(best_floor, 3),
            "ratio": round(best / best_floor, 3),
            "rules_failed": failed,
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
