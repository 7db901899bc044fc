"""Discovery benchmark: a PostgreSQL database of 2,000 tables x 20 columns and 200 views.

Times (1) the raw catalog queries alone, the floor: one query each for relations, columns,
primary/foreign keys and view definitions straight from pg_catalog; (2) a full discovery scan
into a fresh embedded (SQLite) store; (3) a re-scan with nothing changed; (4) that re-scan as
`sounding scan` runs it (a workflow: discover, then the lineage step re-deriving every view's
lineage) and the lineage step alone.

    .venv/bin/python bench/discovery.py [--tables 2000] [--columns 20] [--views 200]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.services import lineage, scan_workflows, scans, sources, workflows
from sounding.services.context import build_context

DB = "sounding_bench_discovery"
TYPES = [
    "integer",
    "bigint",
    "text",
    "varchar(100)",
    "numeric(12,2)",
    "timestamp",
    "boolean",
    "date",
    "double precision",
    "jsonb",
]

RAW_QUERIES = [
    """SELECT n.nspname, c.relname, c.relkind, c.reltuples, obj_description(c.oid)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg_toast%%'""",
    """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
              a.attnum, pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema')""",
    """SELECT conrelid::regclass, contype, conkey, confrelid::regclass, confkey
       FROM pg_constraint WHERE contype IN ('p', 'f')
         AND connamespace NOT IN ('pg_catalog'::regnamespace,
                                  'information_schema'::regnamespace)""",
    """SELECT schemaname, viewname, definition FROM pg_views
       WHERE schemaname NOT IN ('pg_catalog', 'information_schema')""",
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build_database(server_url: str, tables: int, columns: int, views: int) -> str:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {DB}")
    admin.dispose()
    url = sa.engine.make_url(server_url).set(database=DB).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    ddl = []
    for t in range(tables):
        cols = ["id bigint PRIMARY KEY"]
        for c in range(1, columns):
            cols.append(f"c{c:02d} {TYPES[(t + c) % len(TYPES)]}")
        if t % 10 == 1:
            cols.append(f"ref_id bigint REFERENCES t{t - 1:04d}(id)")
        ddl.append(f"CREATE TABLE t{t:04d} ({', '.join(cols)})")
    for v in range(views):
        a, b = (v * 7) % tables, (v * 13 + 1) % tables
        ddl.append(
            f"CREATE VIEW v{v:03d} AS SELECT a.id, a.c01, b.c02, count(*) OVER () AS n "
            f"FROM t{a:04d} a JOIN t{b:04d} b ON a.id = b.id"
        )
    for start in range(0, len(ddl), 200):  # in chunks: one transaction would need a lock
        with engine.begin() as conn:  # per table, more than a default server allows
            for stmt in ddl[start : start + 200]:
                conn.exec_driver_sql(stmt)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def time_raw(url: str, repeat: int = 3) -> float:
    engine = sa.create_engine(url)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with engine.connect() as conn:
            for q in RAW_QUERIES:
                conn.exec_driver_sql(q).fetchall()
        best = min(best, time.perf_counter() - started)
    engine.dispose()
    return best


def field(scan: Any, name: str) -> Any:
    """A scan run's field: a typed record now, a dict before (issue 13; bench/compare.py runs
    this script on the commit before it too)."""
    return scan[name] if isinstance(scan, dict) else getattr(scan, name)


def time_scans(url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), secret_key=Fernet.generate_key().decode())
        ctx = build_context(settings)
        who = Principal("bench", Role.ADMIN)
        sources.add(ctx, who, "bench", url)
        started = time.perf_counter()
        full = scans.run_scan(ctx, who, "bench")
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        again = scans.run_scan(ctx, who, "bench")
        rescan_s = time.perf_counter() - started
        started = time.perf_counter()
        execution_id = scan_workflows.start(ctx, who, "bench", ScanOptions()).execution_id
        flow = workflows.wait(ctx, execution_id, timeout=600)
        workflow_rescan_s = time.perf_counter() - started
        assert flow.status == "completed", flow
        started = time.perf_counter()
        views = lineage.refresh_view_lineage(ctx, "bench")
        view_lineage_s = time.perf_counter() - started
        ctx.close()
    return {
        "full_s": full_s,
        "rescan_s": rescan_s,
        "workflow_rescan_s": workflow_rescan_s,
        "view_lineage_s": view_lineage_s,
        "views_parsed": views.get("views_parsed", views["views"]),
        "full": full,
        "again": again,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "SOUNDING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    log(f"building {args.tables} tables x {args.columns} columns + {args.views} views ...")
    url = build_database(args.pg_url, args.tables, args.columns, args.views)
    log("timing raw catalog queries ...")
    raw_s = time_raw(url)
    log("timing full scan and re-scan ...")
    result = time_scans(url)
    full, again = result["full"], result["again"]
    assert field(full, "status") == "completed", full
    assert field(full, "report")["objects_done"] == args.tables + args.views
    again_report = field(again, "report")
    assert again_report["created"] == 0 and again_report["schema_changed"] == 0
    print(
        json.dumps(
            {
                "tables": args.tables,
                "views": args.views,
                "columns_per_table": args.columns,
                "assets_created": field(full, "report")["created"],
                "full_scan_s": round(result["full_s"], 3),
                "rescan_s": round(result["rescan_s"], 3),
                "raw_catalog_s": round(raw_s, 3),
                "ratio_to_raw": round(result["full_s"] / raw_s, 2),
                "rescan_ratio_to_raw": round(result["rescan_s"] / raw_s, 2),
                "workflow_rescan_s": round(result["workflow_rescan_s"], 3),
                "rescan_view_lineage_s": round(result["view_lineage_s"], 3),
                "rescan_views_parsed": result["views_parsed"],
                "store": "sqlite",
            }
        )
    )


if __name__ == "__main__":
    main()
