"""Orchestration against a real `sounding serve` (SQLite store): schedule accuracy, recovery.

    .venv/bin/python bench/orchestration_server.py --mode schedule [--ticks 60]
    .venv/bin/python bench/orchestration_server.py --mode recovery [--tasks 400]

``schedule``: a workflow on a 1-second interval schedule (cron's resolution is a minute, so
60 cron ticks would take an hour; after the next tick time is computed the path is the same);
lag = execution created - tick time, over ``--ticks`` ticks. Goal p99 < 1 s.
``recovery``: an execution of ``--tasks`` tasks (0.05 s each, 8 at a time); kill -9 the
server mid-run, start it again; time from the restart until tasks run again (goal < 5 s,
server start-up included), and lost / duplicated task results (goal 0 and 0).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx

from sounding.testing.server import ServerProcess


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
        server.start()
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
            startup = server.start()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["schedule", "recovery"], required=True)
    parser.add_argument("--ticks", type=int, default=60)
    parser.add_argument("--tasks", type=int, default=400)
    args = parser.parse_args()
    result = schedule(args.ticks) if args.mode == "schedule" else recovery(args.tasks)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
