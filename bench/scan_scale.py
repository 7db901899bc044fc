"""Real work at the seeds' scale: 1,000 table scans at once across 110 real sources.

    PYTHONPATH=src .venv/bin/python bench/scan_scale.py       # 100 SQLite + 10 PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/scan_scale.py --sqlite 4 --postgres 2 --tables 3

``--sqlite`` SQLite databases and ``--postgres`` PostgreSQL databases (named ``scale_*``, made
from one template and dropped at the end), ``--tables`` tables each, sized so one profile takes
about 0.2-1 s. One workflow discovers and profiles every table (a ``discover`` and a ``profile``
step per source) on the local executor over a SQLite store. Per-source limits (the sources'
``max_concurrent`` option): 10 for SQLite, 5 for PostgreSQL; the engine limit is the
workflow's ``limits.max_concurrent`` = the local executor's threads (sized for the machine).

Reported: the total time against the ideal = (sum of the single-table profile times, each
measured alone afterwards: the same profile task run by itself) / usable concurrency, where
usable concurrency = min(engine limit, sum of per-source limits, cores) - goal <= 2x. And that
no source had more than its limit of connections open: PostgreSQL sources connect with their
own ``application_name`` and ``pg_stat_activity`` is sampled every 50 ms during the run; for
SQLite the limiter's own count (each source's constraint's ``peak``).

PostgreSQL: ``SOUNDING_TEST_POSTGRES_URL`` (default the local server). The run refuses to
start when ``max_connections`` minus those in use leaves fewer than ``--max-pg-connections``
(default 60) - the server is shared. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.orchestration.executors.local import LocalExecutor
from sounding.orchestration.spec import StepSpec
from sounding.orchestration.steps import StepContext, StepPlan, TaskContext, TaskSpec
from sounding.services import sources, workflows
from sounding.services.context import Context, build_context

SYSTEM = Principal("scan-scale-bench", Role.ADMIN)
PG_URL = os.environ.get(
    "SOUNDING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SQLITE_LIMIT, PG_LIMIT = 10, 5
CATEGORIES = [f"cat_{i}" for i in range(40)]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the sources ---------------------------------------------------------------------------


def build_sqlite_template(path: Path, tables: int, rows: int) -> None:
    conn = sqlite3.connect(path)
    data = [
        (
            i,
            f"name {i % 5000}",
            (i * 37 % 10007) / 7.0,
            CATEGORIES[i % 40],
            f"2025-{i % 12 + 1:02d}",
        )
        for i in range(rows)
    ]
    for t in range(tables):
        conn.execute(
            f"CREATE TABLE t{t:02d} (id INTEGER PRIMARY KEY, name TEXT, amount REAL, "
            "category TEXT, created TEXT)"
        )
        conn.executemany(f"INSERT INTO t{t:02d} VALUES (?, ?, ?, ?, ?)", data)
    conn.commit()
    conn.close()


def build_pg_template(admin: sa.Engine, name: str, tables: int, rows: int) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(sa.engine.make_url(PG_URL).set(database=name))
    with engine.begin() as conn:
        for t in range(tables):
            conn.exec_driver_sql(
                f"CREATE TABLE t{t:02d} AS SELECT g AS id, 'name ' || mod(g, 5000) AS name, "
                "mod(g * 37, 10007) / 7.0 AS amount, 'cat_' || mod(g, 40) AS category, "
                f"'2025-' || lpad((mod(g, 12) + 1)::text, 2, '0') AS created "
                f"FROM generate_series(0, {rows - 1}) g"
            )
            conn.exec_driver_sql(f"ALTER TABLE t{t:02d} ADD PRIMARY KEY (id)")
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def drop_pg(admin: sa.Engine, names: list[str]) -> None:
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')


def pg_headroom(admin: sa.Engine) -> tuple[int, int]:
    with admin.connect() as conn:
        limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
        used = int(conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity").scalar_one())
    return limit, used


# --- sampling pg_stat_activity -------------------------------------------------------------


class PgSampler(threading.Thread):
    """Counts the connections of each ``scale_*`` application name every ``interval`` s."""

    def __init__(self, admin: sa.Engine, prefix: str, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.admin, self.prefix, self.interval = admin, prefix, interval
        self.peak: dict[str, int] = {}
        self.peak_total = 0
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        sql = sa.text(
            "SELECT application_name, count(*) FROM pg_stat_activity "
            "WHERE application_name LIKE :p GROUP BY application_name"
        )
        with self.admin.connect() as conn:
            while not self.stop.is_set():
                rows = conn.execute(sql, {"p": f"{self.prefix}%"}).all()
                self.samples += 1
                for name, n in rows:
                    self.peak[name] = max(self.peak.get(name, 0), int(n))
                self.peak_total = max(self.peak_total, sum(int(n) for _, n in rows))
                self.stop.wait(self.interval)


# --- the run -------------------------------------------------------------------------------


def workflow(names: list[str], engine_limit: int) -> str:
    lines = ["name: scale-scan", f"limits: {{max_concurrent: {engine_limit}}}", "steps:"]
    for i, name in enumerate(names):
        lines.append(f"  - {{id: d{i}, type: discover, config: {{source: {name}}}}}")
        lines.append(
            f"  - {{id: p{i}, type: profile, depends_on: d{i}, config: {{source: {name}}}}}"
        )
    return "\n".join(lines) + "\n"


def source_peaks(ctx: Context, names: list[str]) -> dict[str, float]:
    host = ctx.engine

    async def read() -> dict[str, float]:
        d = host.engine.rt.dispatcher
        return {n: d.constraint(f"source:{n}").peak for n in names}

    found: dict[str, float] = host.call(read())
    return found


def profile_alone(ctx: Context, names: list[str]) -> list[float]:
    """Each table's profile task run by itself, one after another: its seconds."""
    plan_of = ctx.step_types.handler("profile")
    seconds = []
    for name in names:
        spec = StepSpec(id="p", type="profile", config={"source": name})
        plan = plan_of(StepContext("alone", "alone", spec, {}))
        assert isinstance(plan, StepPlan)  # the profile step plans synchronously
        assert isinstance(plan.tasks, list)
        tasks = list(plan.tasks)
        for task in tasks:
            assert isinstance(task, TaskSpec)
            tc = TaskContext("alone", "p", task.key, 1, spec.config, {}, name, task.payload)
            began = time.perf_counter()
            plan.run(tc)
            seconds.append(time.perf_counter() - began)
    return seconds


def run(args: argparse.Namespace) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    engine_limit = args.engine_limit or LocalExecutor().workers
    tag = f"scale_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=0)
    pg_names: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="scale_"))
    try:
        if args.postgres:
            limit, used = pg_headroom(admin)
            wanted = min(args.postgres * PG_LIMIT, engine_limit * 2) + 3
            log(f"PostgreSQL max_connections={limit}, in use {used}; this run needs <= {wanted}")
            if wanted > args.max_pg_connections or used + wanted > limit:
                raise SystemExit(f"not enough PostgreSQL connections free ({used}/{limit} used)")
        log(f"building {args.sqlite} SQLite + {args.postgres} PostgreSQL sources ...")
        template = work / "template.db"
        build_sqlite_template(template, args.tables, args.sqlite_rows)
        urls: dict[str, str] = {}
        for i in range(args.sqlite):
            path = work / f"src{i:03d}.db"
            shutil.copyfile(template, path)
            urls[f"lite{i:03d}"] = f"sqlite:///{path}"
        if args.postgres:
            tpl = f"{tag}_tpl"
            pg_names.append(tpl)
            build_pg_template(admin, tpl, args.tables, args.pg_rows)
            for i in range(args.postgres):
                db = f"{tag}_{i:02d}"
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'CREATE DATABASE "{db}" TEMPLATE "{tpl}"')
                pg_names.append(db)
                urls[f"pg{i:02d}"] = (
                    sa.engine.make_url(PG_URL)
                    .set(database=db)
                    .render_as_string(hide_password=False)
                )
        settings = Settings(home=work / "home", secret_key=Fernet.generate_key().decode())
        ctx = build_context(settings)
        try:
            for name, url in urls.items():
                pg = name.startswith("pg")
                options: dict[str, Any] = {"max_concurrent": PG_LIMIT if pg else SQLITE_LIMIT}
                if pg:
                    options["application_name"] = f"{tag}_{name}"
                sources.add(ctx, SYSTEM, name, url, options=options)
            names = list(urls)
            workflows.apply_workflow(ctx, SYSTEM, workflow(names, engine_limit))
            sampler = PgSampler(admin, tag)
            load_before = os.getloadavg()
            log(
                f"running: {len(names)} sources x {args.tables} tables, engine limit {engine_limit}"
            )
            sampler.start()
            began = time.perf_counter()
            started = workflows.execute(ctx, SYSTEM, "scale-scan")
            workflows.wait(ctx, started.id, timeout=args.timeout)
            total = time.perf_counter() - began
            sampler.stop.set()
            sampler.join(5)
            load_during = os.getloadavg()
            detail = workflows.get_execution(ctx, SYSTEM, started.id)
            failed = sum(s.tasks_failed for s in detail.steps)
            profiled = sum(s.tasks_done for s in detail.steps if s.id.startswith("p"))
            peaks = source_peaks(ctx, names)
            discover_sum = sum(
                (st.finished_at - st.started_at).total_seconds()
                for st in detail.steps
                if st.id.startswith("d") and st.started_at and st.finished_at
            )
            log(f"run: {total:.1f} s ({detail.status}); profiling each table alone ...")
            alone = profile_alone(ctx, names)
            load_after = os.getloadavg()
        finally:
            ctx.close()
    finally:
        if pg_names:
            drop_pg(admin, pg_names)
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    lite = [n for n in names if n.startswith("lite")]
    pgs = [n for n in names if n.startswith("pg")]
    limit_sum = len(lite) * SQLITE_LIMIT + len(pgs) * PG_LIMIT
    usable = min(engine_limit, limit_sum, cores)
    ideal = sum(alone) / usable
    pg_open = {n: sampler.peak.get(f"{tag}_{n}", 0) for n in pgs}
    return {
        "bench": "scan_scale",
        "status": detail.status,
        "sources": {"sqlite": len(lite), "postgres": len(pgs)},
        "tables": len(alone),
        "rows_per_table": {"sqlite": args.sqlite_rows, "postgres": args.pg_rows},
        "profiled": profiled,
        "tasks_failed": failed,
        "engine_limit": engine_limit,
        "per_source_limit": {"sqlite": SQLITE_LIMIT, "postgres": PG_LIMIT},
        "cores": cores,
        "usable_concurrency": usable,
        "total_s": round(total, 1),
        "discover_steps_sum_s": round(discover_sum, 1),  # in total_s, not in the ideal
        "profile_alone_sum_s": round(sum(alone), 1),
        "profile_alone_s": {
            "min": round(min(alone), 3),
            "p50": round(statistics.median(alone), 3),
            "max": round(max(alone), 3),
        },
        "ideal_s": round(ideal, 1),
        "ratio": round(total / ideal, 2),
        "goal_ratio": 2.0,
        "sqlite_peak_tasks_max": max((peaks[n] for n in lite), default=0),
        "sqlite_over_limit": [n for n in lite if not 0 < peaks[n] <= SQLITE_LIMIT],
        "pg_open_connections_max": max(pg_open.values(), default=0),
        "pg_over_limit": [n for n, c in pg_open.items() if c > PG_LIMIT],
        "pg_seen": sum(1 for c in pg_open.values() if c > 0),
        "pg_peak_total": sampler.peak_total,
        "pg_samples": sampler.samples,
        "load_before": [round(x, 2) for x in load_before],
        "load_after_run": [round(x, 2) for x in load_during],
        "load_after_alone": [round(x, 2) for x in load_after],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", type=int, default=100, help="SQLite sources")
    parser.add_argument("--postgres", type=int, default=10, help="PostgreSQL sources")
    parser.add_argument("--tables", type=int, default=10, help="tables per source")
    parser.add_argument("--sqlite-rows", type=int, default=60_000)
    parser.add_argument("--pg-rows", type=int, default=60_000)
    parser.add_argument("--engine-limit", type=int, default=None)
    parser.add_argument("--max-pg-connections", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    print(json.dumps(run(args)), flush=True)


if __name__ == "__main__":
    main()
