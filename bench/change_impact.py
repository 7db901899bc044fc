"""Change impact at scale: what recording and reading the impact of schema changes costs.

A SQLite source of ``--tables`` tables of 20 columns, each read by a view of all its columns,
itself read by a second view (so 2 hops of column lineage below every column). After a first
scan, 5 columns are dropped from every table (the views are redefined without them) and the
source is scanned again: every dropped column, and each view's copy of it, is a change whose
downstream is walked during that scan. Times the walk (``change_impact.record_scan``) within
the re-scan, the whole re-scan, and ``impact_since`` answering the 1,000 newest changes (the
tables' own: objects are discovered by name, and views ``a*``, ``b*`` come before tables ``t*``;
each change reaches 2 columns).

    .venv/bin/python bench/change_impact.py [--tables 200]

Prints one JSON line; goal: the walk under 15 % of the re-scan, the read under 1 s.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.services import change_impact, scans, sources
from sounding.services.context import build_context

COLUMNS, DROPPED = 20, 5


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _views(t: int, cols: list[str]) -> str:
    return (
        f"CREATE VIEW a{t} AS SELECT {', '.join(cols)} FROM t{t};"
        f"CREATE VIEW b{t} AS SELECT {', '.join(cols)} FROM a{t};"
    )


def build(path: Path, tables: int) -> None:
    cols = [f"c{i}" for i in range(COLUMNS)]
    ddl = []
    for t in range(tables):
        ddl.append(f"CREATE TABLE t{t} (id INTEGER PRIMARY KEY, {', '.join(cols)});")
        ddl.append(_views(t, ["id", *cols]))
    conn = sqlite3.connect(path)
    conn.executescript("".join(ddl))
    conn.close()


def drop(path: Path, tables: int) -> None:
    kept = [f"c{i}" for i in range(DROPPED, COLUMNS)]
    sql = []
    for t in range(tables):
        sql.append(f"DROP VIEW b{t}; DROP VIEW a{t};")
        sql += [f"ALTER TABLE t{t} DROP COLUMN c{i};" for i in range(DROPPED)]
        sql.append(_views(t, ["id", *kept]))
    conn = sqlite3.connect(path)
    conn.executescript("".join(sql))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings(home=home, secret_key=Fernet.generate_key().decode())
        ctx = build_context(settings)
        who = Principal("bench", Role.ADMIN)
        db = home / "wide.db"
        build(db, args.tables)
        sources.add(ctx, who, "wide", f"sqlite:///{db}")
        scans.run_scan(ctx, who, "wide")
        drop(db, args.tables)
        walked: list[float] = []
        record = change_impact.record_scan

        def timed(ctx: Any, scan_id: int) -> int:
            started = time.perf_counter()
            try:
                return record(ctx, scan_id)
            finally:
                walked.append(time.perf_counter() - started)

        change_impact.record_scan = timed  # type: ignore[assignment]
        since = datetime.now(UTC)
        started = time.perf_counter()
        scans.run_scan(ctx, who, "wide")
        rescan = time.perf_counter() - started
        started = time.perf_counter()
        found = change_impact.impact_since(ctx, who, since, limit=1000)
        read = time.perf_counter() - started
        ctx.close()
    changes = args.tables * DROPPED * 3
    affected = sum(len(c.affected) for c in found)
    log(f"{changes} changes; re-scan {rescan:.2f} s, walk {walked[0]:.2f} s, read {read:.2f} s")
    print(
        json.dumps(
            {
                "bench": "change_impact",
                "tables": args.tables,
                "changes": changes,
                "rescan_s": round(rescan, 3),
                "walk_s": round(walked[0], 3),
                "walk_share": round(walked[0] / rescan, 3),
                "read_1000_s": round(read, 3),
                "read_changes": len(found),
                "read_affected": affected,
            }
        )
    )


if __name__ == "__main__":
    main()
