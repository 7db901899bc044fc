"""Cost of the permission check on the request path (issue 18, access; issue 20 watches it).

A SQLite store with ``--users`` users holding ``--policies`` policies between them, and one
table (domain ``finance``) with 20 columns. Times, in process, per call:

- ``attach_grants``: a user's grants from the per-process cache (every request does this);
- ``reload``: the cache re-reading every policy after a change (once per change);
- ``can_global``: ``catalog.can`` for a global steward (no query);
- ``can_scoped_table``: for a policy holder on the table (its own domain: no ancestor read);
- ``can_scoped_column``: for a policy holder on a column (one read of its table's domain).

    PYTHONPATH=src .venv/bin/python bench/access_check.py [--users 200] [--policies 1000]

Prints one JSON line: median microseconds per call, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.config import Settings  # noqa: E402
from sounding.domain.auth import Permission, Principal, Role, local_operator  # noqa: E402
from sounding.domain.scans import ScanOptions  # noqa: E402
from sounding.features.access import service as access  # noqa: E402
from sounding.features.accounts import service as accounts  # noqa: E402
from sounding.services import catalog, scans, sources  # noqa: E402
from sounding.services.context import build_context  # noqa: E402


def _time(fn: Callable[[], object], n: int, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - started) / n * 1e6)
    return round(statistics.median(runs), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--policies", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.db"
        with sqlite3.connect(src) as conn:
            cols = ", ".join(f"c{i} INTEGER" for i in range(20))
            conn.execute(f"CREATE TABLE ledger (id INTEGER PRIMARY KEY, {cols})")
        ctx = build_context(Settings(home=Path(tmp) / "home"))
        op = local_operator()
        sources.add(ctx, op, "erp", f"sqlite:///{src}")
        scans.run_scan(ctx, op, "erp", options=ScanOptions())
        table = catalog.get_asset(ctx, op, "urn:sounding:erp:main.ledger")
        catalog.update_asset(ctx, op, table.id, {"domain": "finance"})
        table = catalog.get_asset(ctx, op, table.id)
        column = table.children[0]
        ids = [accounts.create_user(ctx, op, f"u{i}", "viewer").id for i in range(args.users)]
        for j in range(args.policies - 1):
            user = f"u{j % args.users}"
            access.create_policy(ctx, op, user, "steward", "domain", f"d{j // args.users}")
        access.create_policy(ctx, op, "u0", "steward", "domain", "finance")
        holder = access.attach_grants(ctx, Principal("u0", Role.VIEWER, ids[0]))
        steward = Principal("s", Role.STEWARD, None)

        def reload() -> None:
            access.cache(ctx).drop()
            access.cache(ctx).grants(ctx, ids[0])

        figures = {
            "attach_grants": _time(lambda: access.attach_grants(ctx, holder), 20_000),
            "reload": _time(reload, 20),
            "can_global": _time(
                lambda: catalog.can(ctx, steward, Permission.CATALOG_WRITE, table), 20_000
            ),
            "can_scoped_table": _time(
                lambda: catalog.can(ctx, holder, Permission.CATALOG_WRITE, table), 2_000
            ),
            "can_scoped_column": _time(
                lambda: catalog.can(ctx, holder, Permission.CATALOG_WRITE, column), 2_000
            ),
        }
        ctx.close()
    print(
        json.dumps(
            {
                "bench": "access_check",
                "users": args.users,
                "policies": args.policies,
                "grants_of_user": len(holder.grants),
                "microseconds_per_call_median": figures,
                "loadavg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
