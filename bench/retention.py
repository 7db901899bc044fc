"""Pruning a big execution history while the API answers reads (issue 19, retention).

    .venv/bin/python bench/retention.py [--executions 10000] [--tasks 100] \
        [--store sqlite|postgres] [--seconds 10] [--quick]

Builds a store with ``--executions`` finished executions of ``--tasks`` task attempts each
(one event per attempt, plus two per execution), 90% of them 200-400 days old (past the
default retention of attempts, 30 days, and of executions, 180 days) and 10% of the last
10 days, written in bulk (``sounding.testing.history``). Starts a real ``sounding serve`` on it
(periodic prune off) and times a read mix from 2 client threads: the execution list
(``/api/v1/executions?limit=20``), a kept execution's page and a search, for ``--seconds``
before the prune and then for as long as ``sounding db prune`` runs in another process.
Reports the prune's duration, rows deleted and batches, the store's size before and after
(SQLite: the file; its free pages, which only ``VACUUM`` on a stopped server gives back;
PostgreSQL: ``pg_database_size``), the reads' p50/p95 before and during, and the machine's
load average (on a shared machine the figures are noisy). ``--quick``: 500 x 20, 3 s.
``--store postgres`` uses a fresh database ``retention_<random>`` on 127.0.0.1:5432 (dropped
afterwards; ``--postgres-url`` for another server). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.store import migrations  # noqa: E402
from sounding.testing.history import HistoryBatch, fill_history  # noqa: E402
from sounding.testing.server import ServerProcess  # noqa: E402

ADMIN_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT = 180  # a busy machine


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(sorted(values)[min(len(values) - 1, int(len(values) * q))] * 1000, 1)


@contextmanager
def store(kind: str, admin_url: str, home: Path) -> Iterator[tuple[dict[str, str], sa.Engine]]:
    """The environment naming a fresh store, and an engine on it."""
    if kind == "sqlite":
        home.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(f"sqlite:///{home / 'sounding.db'}")
        try:
            yield {}, engine
        finally:
            engine.dispose()
        return
    name = f"retention_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        yield {"SOUNDING_DATABASE_URL": url}, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def size_bytes(engine: sa.Engine, home: Path) -> int:
    if engine.dialect.name == "sqlite":
        db = home / "sounding.db"
        wal = home / "sounding.db-wal"
        return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar())


def build(engine: sa.Engine, executions: int, tasks: int) -> int:
    """90% of the executions 200-400 days old, 10% of the last 10 days."""
    migrations.upgrade(engine)
    now = datetime.now(UTC)
    old = executions * 9 // 10
    new = executions - old
    return fill_history(
        engine,
        [
            HistoryBatch("old-", old, tasks, now - timedelta(days=400), timedelta(days=200) / old),
            HistoryBatch("new-", new, tasks, now - timedelta(days=10), timedelta(days=9) / new),
        ],
    )


class Reads:
    """The read mix, timed from ``threads`` client threads until stopped."""

    def __init__(self, server: ServerProcess, kept: str, threads: int = 2) -> None:
        self.server, self.kept, self.threads = server, kept, threads
        self.times: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def _loop(self) -> None:
        paths = [
            "/api/v1/executions?limit=20",
            f"/api/v1/executions/{self.kept}",
            "/api/v1/search?q=orders",
        ]
        with httpx.Client(
            base_url=self.server.base, headers=self.server.headers, timeout=60
        ) as client:
            i = 0
            while not self._stop.is_set():
                started = time.monotonic()
                answer = client.get(paths[i % len(paths)])
                self.times.append(time.monotonic() - started)
                self.errors += answer.status_code != 200
                i += 1

    def __enter__(self) -> Reads:
        self._workers = [threading.Thread(target=self._loop) for _ in range(self.threads)]
        for w in self._workers:
            w.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for w in self._workers:
            w.join()


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        with store(args.store, args.postgres_url, home) as (env, engine):
            started = time.monotonic()
            attempts = build(engine, args.executions, args.tasks)
            build_s = time.monotonic() - started
            log(f"built {args.executions} executions, {attempts} attempts in {build_s:.0f} s")
            size_before = size_bytes(engine, home)
            with engine.connect() as conn:
                kept = conn.execute(
                    sa.text("SELECT id FROM executions WHERE id LIKE 'new-%' LIMIT 1")
                ).scalar_one()
            server = ServerProcess(home, env={**env, "SOUNDING_RETENTION_INTERVAL": "off"})
            if not env:
                server.env.pop("SOUNDING_DATABASE_URL", None)
            server.start(timeout=START_TIMEOUT)
            try:
                with Reads(server, kept) as before:
                    time.sleep(args.seconds)
                prune_env = {**server.env}
                with Reads(server, kept) as during:
                    t0 = time.monotonic()
                    done = subprocess.run(
                        [sys.executable, "-m", "sounding.cli", "db", "prune", "--json"],
                        env=prune_env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    prune_s = time.monotonic() - t0
                report = json.loads(done.stdout)
            finally:
                server.stop()
            size_after = size_bytes(engine, home)
            with engine.connect() as conn:
                left = {
                    t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
                    for t in ("executions", "task_attempts", "execution_events")
                }
    deleted = {f"{k['kind']}.{t['table']}": t["rows"] for k in report["kinds"] for t in k["tables"]}
    return {
        "bench": "retention",
        "store": args.store,
        "executions": args.executions,
        "tasks": args.tasks,
        "attempts": attempts,
        "build_s": round(build_s, 1),
        "prune_s": round(prune_s, 1),
        "prune_batches": report["batches"],
        "rows_deleted": sum(deleted.values()),
        "deleted": {k: v for k, v in deleted.items() if v},
        "left": left,
        "size_before_mb": round(size_before / 1e6, 1),
        "size_after_mb": round(size_after / 1e6, 1),
        "free_after_mb": (
            round(report["free_bytes"] / 1e6, 1) if report["free_bytes"] is not None else None
        ),
        "reads_before": len(before.times),
        "reads_during": len(during.times),
        "read_errors": before.errors + during.errors,
        "p50_before_ms": _ms(before.times, 0.5),
        "p95_before_ms": _ms(before.times, 0.95),
        "p50_during_ms": _ms(during.times, 0.5),
        "p95_during_ms": _ms(during.times, 0.95),
        "max_during_ms": _ms(during.times, 1.0),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="reads timed before")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=ADMIN_PG, help="a database to CREATE from")
    parser.add_argument("--quick", action="store_true", help="500 x 20, 3 s (a smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.executions, args.tasks, args.seconds = 500, 20, 3.0
    if args.executions < 10 or args.tasks < 1:
        parser.error("--executions must be at least 10 and --tasks at least 1")
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
