"""Orchestration against a real `sounding serve`: schedule accuracy, recovery, durable throughput.

    .venv/bin/python bench/orchestration_server.py --mode schedule [--ticks 60]
    .venv/bin/python bench/orchestration_server.py --mode recovery [--tasks 400]
    .venv/bin/python bench/orchestration_server.py --mode fanout [--tasks 5000] \
        [--store sqlite|postgres] [--no-prefect]
    .venv/bin/python bench/orchestration_server.py --mode hop [--repeat 5] \
        [--store sqlite|postgres] [--no-prefect]

``schedule``: a workflow on a 1-second interval schedule (cron's resolution is a minute, so
60 cron ticks would take an hour; after the next tick time is computed the path is the same);
lag = execution created - tick time, over ``--ticks`` ticks. Goal p99 < 1 s.
``recovery``: an execution of ``--tasks`` tasks (0.05 s each, 8 at a time); kill -9 the
server mid-run, start it again; time from the restart until tasks run again (goal < 5 s,
server start-up included), and lost / duplicated task results (goal 0 and 0).
``fanout``: one step of ``--tasks`` no-op tasks, submitted and watched over the HTTP API of a
server on a free port; tasks per second from the submit request to the execution's end as the
API reports it (goal >= 2,000/s on SQLite, >= 1,000/s on PostgreSQL). Afterwards the store's
rows are counted: one completed attempt per task, no other attempt, and every event seq from 1
to the execution's last present (``store_*`` keys; ``nothing_lost`` sums it up).
``hop``: a chain of 40 single-task no-op steps through the server, ``--repeat`` times; hop =
next attempt's ``started_at`` - previous attempt's ``finished_at`` as recorded in the store.
``--store postgres`` runs the server on a fresh database ``durable_<random>`` on
127.0.0.1:5432 (user postgres, dropped afterwards; ``--postgres-url`` for another server).

For ``fanout`` and ``hop`` Prefect runs the same work side by side in the same run (a separate
venv, ``bench/.peer-venvs/prefect``, created on first use as ``bench/orchestration.py`` does;
its ephemeral server on a temporary ``PREFECT_HOME`` with its SQLite database); its figure and
how many of its task runs its database recorded are reported as ``prefect_*``.
``--no-prefect`` skips it. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from sounding.testing.server import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / "bench" / ".peer-venvs" / "prefect"
PEER_REQUIREMENTS = ["prefect", "fastapi<0.140"]
CHAIN = 40
START_TIMEOUT = 180  # seconds a server may take to start (far more than idle: a busy machine)
POLL = 0.02  # seconds between two status requests while an execution runs
ADMIN_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _query(home: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(home / "sounding.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _ts(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


def schedule(ticks: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        server = ServerProcess(Path(home))
        server.start()
        try:
            httpx.post(
                f"{server.base}/api/v1/orchestrations",
                headers=server.headers,
                json={
                    "name": "tick",
                    "schedule": {"interval": "1s", "overlap": "allow"},
                    "steps": [{"id": "a", "type": "noop"}],
                },
            )
            log(f"waiting for {ticks} ticks ...")
            time.sleep(ticks + 1.5)
            rows = _query(
                Path(home),
                "SELECT t.tick_at, e.created_at FROM schedule_ticks t "
                "JOIN executions e ON e.id = t.execution_id ORDER BY t.tick_at",
            )
        finally:
            server.stop()
    lags = sorted((_ts(c) - _ts(t)).total_seconds() * 1000 for t, c in rows)[:ticks]
    return {
        "mode": "schedule",
        "ticks": len(lags),
        "lag_p50_ms": round(lags[len(lags) // 2], 1),
        "lag_p99_ms": round(lags[max(0, int(len(lags) * 0.99) - 1)], 1),
        "lag_max_ms": round(lags[-1], 1),
        "goal_p99_ms": 1000,
    }


def recovery(tasks: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        server = ServerProcess(home)
        server.start(timeout=START_TIMEOUT)
        try:
            httpx.post(
                f"{server.base}/api/v1/orchestrations",
                headers=server.headers,
                json={
                    "name": "long",
                    "limits": {"max_concurrent": 8},
                    "steps": [
                        {"id": "work", "type": "sleep", "config": {"seconds": 0.05, "tasks": tasks}}
                    ],
                },
            )
            run = httpx.post(
                f"{server.base}/api/v1/orchestrations/long/execute", headers=server.headers
            ).json()
            while (
                len(_query(home, "SELECT 1 FROM task_attempts WHERE status = 'completed'"))
                < tasks // 3
            ):
                time.sleep(0.02)
            server.kill()
            killed_at = time.monotonic()
            before = {
                r[0]
                for r in _query(
                    home, "SELECT task_key FROM task_attempts WHERE status = 'completed'"
                )
            }
            seen = len(_query(home, "SELECT 1 FROM task_attempts"))
            startup = server.start(timeout=START_TIMEOUT)
            while len(_query(home, "SELECT 1 FROM task_attempts")) <= seen:
                time.sleep(0.01)
            resumed_s = time.monotonic() - killed_at
            status = ""
            while status not in ("completed", "failed"):
                status = httpx.get(
                    f"{server.base}/api/v1/executions/{run['id']}", headers=server.headers
                ).json()["status"]
                time.sleep(0.05)
            done = Counter(
                r[0]
                for r in _query(
                    home, "SELECT task_key FROM task_attempts WHERE status = 'completed'"
                )
            )
        finally:
            server.stop()
    return {
        "mode": "recovery",
        "tasks": tasks,
        "completed_before_kill": len(before),
        "status": status,
        "seconds_until_tasks_run_again": round(resumed_s, 2),
        "server_start_s": round(startup, 2),
        "lost": tasks - len(done),
        "duplicated": sum(1 for n in done.values() if n > 1),
        "rerun_after_completion": len([k for k in before if done[k] > 1]),
        "goal": {"seconds": 5, "lost": 0, "duplicated": 0},
    }


# -- durable throughput and hops through the server, on SQLite or PostgreSQL --


@contextmanager
def served(store: str, admin_url: str) -> Iterator[tuple[ServerProcess, sa.Engine]]:
    """A server on a fresh store, and an engine reading that store from outside."""
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        if store == "sqlite":
            server = ServerProcess(home)
            reader = sa.create_engine(f"sqlite:///{home / 'sounding.db'}")
            dropdb = None
        else:
            name = f"durable_{secrets.token_hex(4)}"
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = sa.make_url(admin_url).set(database=name)
            env = {"SOUNDING_DATABASE_URL": url.render_as_string(hide_password=False)}
            server = ServerProcess(home, env=env)
            reader = sa.create_engine(url)
            dropdb = (admin, name)
        try:
            server.start(timeout=START_TIMEOUT)
            yield server, reader
        finally:
            server.stop()
            reader.dispose()
            if dropdb is not None:
                admin, name = dropdb
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()


def _run(client: httpx.Client, name: str, doc: dict[str, Any]) -> tuple[str, float]:
    """Create ``name`` from ``doc``, execute it and poll until it ends; (id, seconds)."""
    r = client.post("/api/v1/orchestrations", json={"name": name, **doc})
    assert r.status_code in (200, 201), r.text
    began = time.perf_counter()
    run = client.post(f"/api/v1/orchestrations/{name}/execute")
    assert run.status_code == 202, run.text
    eid = run.json()["id"]
    status = run.json()["status"]
    while status not in ("completed", "failed", "cancelled"):
        time.sleep(POLL)
        status = client.get(f"/api/v1/executions/{eid}").json()["status"]
    elapsed = time.perf_counter() - began
    assert status == "completed", f"execution {eid} ended {status}"
    return eid, elapsed


def store_counts(reader: sa.Engine, eid: str) -> dict[str, int]:
    with reader.connect() as conn:
        one = conn.execute(
            sa.text(
                "SELECT count(*), "
                "sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), "
                "count(DISTINCT task_key) FROM task_attempts WHERE execution_id = :e"
            ),
            {"e": eid},
        ).one()
        events = conn.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT seq), coalesce(max(seq), 0) "
                "FROM execution_events WHERE execution_id = :e"
            ),
            {"e": eid},
        ).one()
        last = conn.execute(
            sa.text("SELECT event_seq FROM executions WHERE id = :e"), {"e": eid}
        ).scalar_one()
    return {
        "store_attempts": int(one[0]),
        "store_completed_attempts": int(one[1] or 0),
        "store_distinct_tasks": int(one[2]),
        "store_events": int(events[0]),
        "store_event_seq_last": int(last),
        "store_event_seq_distinct": int(events[1]),
    }


def fanout(tasks: int, store: str, admin_url: str) -> dict[str, Any]:
    doc = {"steps": [{"id": "fan", "type": "noop", "config": {"tasks": tasks}}]}
    with served(store, admin_url) as (server, reader):
        with httpx.Client(base_url=server.base, headers=server.headers, timeout=60) as client:
            _run(client, "warm-up", {"steps": [{"id": "fan", "type": "noop",
                                                "config": {"tasks": 200}}]})  # fmt: skip
            log(f"fan-out of {tasks} no-op tasks through the server ({store}) ...")
            eid, elapsed = _run(client, "fanout", doc)
        counts = store_counts(reader, eid)
    nothing_lost = (
        counts["store_attempts"] == tasks
        and counts["store_completed_attempts"] == tasks
        and counts["store_distinct_tasks"] == tasks
        and counts["store_events"] == counts["store_event_seq_last"]
        and counts["store_event_seq_distinct"] == counts["store_events"]
    )
    return {
        "store": store,
        "tasks": tasks,
        "seconds": round(elapsed, 3),
        "tasks_per_s": round(tasks / elapsed),
        "goal_tasks_per_s": 2000 if store == "sqlite" else 1000,
        **counts,
        "nothing_lost": nothing_lost,
    }


def hop(repeat: int, store: str, admin_url: str) -> dict[str, Any]:
    steps = [
        {"id": f"s{i:02d}", "type": "noop", "depends_on": [f"s{i - 1:02d}"] if i else []}
        for i in range(CHAIN)
    ]
    doc = {"strategy": "graph_based", "steps": steps}
    hops: list[float] = []
    with (
        served(store, admin_url) as (server, reader),
        httpx.Client(base_url=server.base, headers=server.headers, timeout=60) as client,
    ):
        _run(client, "warm-up", doc)
        log(f"{repeat} chains of {CHAIN} steps through the server ({store}) ...")
        for r in range(repeat):
            eid, _ = _run(client, f"chain-{r}", doc)
            with reader.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT step_id, started_at, finished_at FROM task_attempts "
                        "WHERE execution_id = :e AND status = 'completed'"
                    ),
                    {"e": eid},
                ).all()
            at = {step: (_ts(s), _ts(f)) for step, s, f in rows}
            for i in range(1, CHAIN):
                hops.append((at[f"s{i:02d}"][0] - at[f"s{i - 1:02d}"][1]).total_seconds() * 1000)
    return {
        "store": store,
        "hops": len(hops),
        "p50_ms": round(statistics.median(hops), 3),
        "p95_ms": round(percentile(hops, 0.95), 3),
        "goal_p50_ms": 5.0,
    }


# -- Prefect side by side --

PREFECT_FANOUT = r"""
import json, sqlite3, sys, time, os
from prefect import flow, task

@task
def noop(i):
    return i

@flow
def fan(n):
    futures = noop.map(range(n))
    return [f.result() for f in futures]

fan(10)  # warm-up: starts the temporary server
began = time.perf_counter()
out = fan(TASKS)
elapsed = time.perf_counter() - began
assert len(out) == TASKS

def recorded():
    conn = sqlite3.connect(os.path.join(os.environ["PREFECT_HOME"], "prefect.db"))
    try:
        (flow_run,) = conn.execute(
            "SELECT id FROM flow_run ORDER BY created DESC LIMIT 1").fetchone()
        total, done = conn.execute(
            "SELECT count(*), sum(CASE WHEN state_type = 'COMPLETED' THEN 1 ELSE 0 END) "
            "FROM task_run WHERE flow_run_id = ?", (flow_run,)).fetchone()
        return total, done or 0
    finally:
        conn.close()

import prefect
at_end = recorded()
time.sleep(5)
later = recorded()
print(json.dumps({"tasks": TASKS, "seconds": round(elapsed, 3),
                  "tasks_per_s": round(TASKS / elapsed),
                  "task_runs_recorded": later[0], "task_runs_recorded_completed": later[1],
                  "task_runs_recorded_at_end": at_end[0],
                  "version": prefect.__version__}))
"""

PREFECT_HOPS = r"""
import json, os, sqlite3, statistics, time
from prefect import flow, task

marks = {}

@task
def noop(i):
    t = time.perf_counter()
    marks[i] = (t, time.perf_counter())
    return i

@flow
def chain(n):
    prev = None
    for i in range(n):
        prev = noop(i, wait_for=[prev] if prev is not None else None)
    return prev

chain(2)  # warm-up: starts the temporary server
hops = []
for _ in range(REPEAT):
    marks.clear()
    chain(CHAIN)
    hops += [(marks[i + 1][0] - marks[i][1]) * 1000 for i in range(CHAIN - 1)]
hops.sort()
time.sleep(5)
conn = sqlite3.connect(os.path.join(os.environ["PREFECT_HOME"], "prefect.db"))
(runs,) = conn.execute("SELECT count(*) FROM task_run").fetchone()
import prefect
print(json.dumps({"hops": len(hops), "p50_ms": round(statistics.median(hops), 3),
                  "p95_ms": round(hops[round(0.95 * (len(hops) - 1))], 3),
                  "task_runs_expected": 2 + REPEAT * CHAIN, "task_runs_recorded": runs,
                  "version": prefect.__version__}))
"""


def ensure_prefect_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        log(f"creating {PEER_VENV} and installing {PEER_REQUIREMENTS} ...")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    return python


def prefect(script: str) -> dict[str, Any]:
    try:
        python = ensure_prefect_venv()
    except (subprocess.CalledProcessError, OSError) as exc:
        return {"prefect_error": f"could not install prefect: {exc}"}
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {
            "PREFECT_HOME": home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # its temporary server starts in well over 20 s on a busy machine
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        }
        log("running the same work on Prefect (ephemeral server) ...")
        proc = subprocess.run(
            [str(python), "-c", script], env=env, cwd=home, capture_output=True, text=True,
            timeout=1800,
        )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"prefect_error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    return {f"prefect_{k}": v for k, v in json.loads(lines[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["schedule", "recovery", "fanout", "hop"], required=True)
    parser.add_argument("--ticks", type=int, default=60)
    parser.add_argument("--tasks", type=int, default=None, help="recovery 400, fanout 5000")
    parser.add_argument("--repeat", type=int, default=5, help="hop: chains measured")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=ADMIN_PG, help="a database to CREATE from")
    parser.add_argument("--no-prefect", action="store_true", help="skip the Prefect peer")
    args = parser.parse_args()
    out: dict[str, Any] = {"bench": "orchestration_server", "mode": args.mode}
    if args.mode == "schedule":
        out = schedule(args.ticks)
    elif args.mode == "recovery":
        out = recovery(args.tasks or 400)
    elif args.mode == "fanout":
        tasks = args.tasks or 5000
        out |= fanout(tasks, args.store, args.postgres_url)
        if not args.no_prefect:
            out |= prefect(PREFECT_FANOUT.replace("TASKS", str(tasks)))
    else:
        out |= hop(args.repeat, args.store, args.postgres_url)
        if not args.no_prefect:
            script = PREFECT_HOPS.replace("REPEAT", str(args.repeat))
            out |= prefect(script.replace("CHAIN", str(CHAIN)))
    out["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
