"""Failover between two real `sounding serve` processes on one PostgreSQL store.

    .venv/bin/python bench/orchestration_failover.py [--tasks 500] [--url postgresql://...]

Makes a fresh database ``failover_<hex>`` on the PostgreSQL server (``--url``, default
``SOUNDING_TEST_POSTGRES_URL`` or the local one), starts servers A and B on it, runs an
execution of ``--tasks`` tasks (0.04 s each, 8 at a time) on A, kill -9s A once a fifth have
completed, and measures from the store: seconds from the kill until B owns the execution
(goal <= 10), until its tasks run again and until it ends; lost and duplicated task results
(goal 0 and 0). Drops the database. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.testing.server import ServerProcess

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _one(store: sa.Engine, sql: str, **params: Any) -> Any:
    with store.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def _completed(store: sa.Engine, execution_id: str) -> Counter[str]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT task_key FROM task_attempts WHERE execution_id = :e "
                "AND step_id = 'work' AND status = 'completed'"
            ),
            {"e": execution_id},
        )
        return Counter(r[0] for r in rows)


def _until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.02)


def failover(server_url: str, tasks: int) -> dict[str, object]:
    name = f"failover_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(False)
    store = sa.create_engine(url)
    env = {"SOUNDING_DATABASE_URL": url, "SOUNDING_SECRET_KEY": Fernet.generate_key().decode()}
    try:
        with tempfile.TemporaryDirectory() as homes:
            a = ServerProcess(Path(homes) / "a", env=env)
            b = ServerProcess(Path(homes) / "b", env=env)
            try:
                a.start(timeout=120)
                b.token = a.token
                b.start(timeout=120)
                flow = {
                    "name": "fanout",
                    "limits": {"max_concurrent": 8},
                    "steps": [
                        {"id": "work", "type": "sleep", "config": {"seconds": 0.04, "tasks": tasks}}
                    ],
                }
                httpx.post(f"{a.base}/api/v1/orchestrations", headers=a.headers, json=flow)
                run = httpx.post(
                    f"{a.base}/api/v1/orchestrations/fanout/execute", headers=a.headers
                ).json()["id"]
                assert b.proc is not None
                b_id = _one(store, "SELECT id FROM orchestration_servers WHERE pid = :p",
                            p=b.proc.pid)[0]  # fmt: skip
                _until(lambda: sum(_completed(store, run).values()) >= tasks // 5, 120)
                killed_at, killed_mono = datetime.now(UTC), time.monotonic()
                a.kill()
                before = set(_completed(store, run))
                started = _one(store, "SELECT count(*) FROM task_attempts WHERE execution_id = :e",
                               e=run)[0]  # fmt: skip

                def owner() -> Any:
                    return _one(store, "SELECT * FROM execution_leases WHERE execution_id = :e",
                                e=run)  # fmt: skip

                _until(lambda: owner().owner_id == b_id, 60)
                _until(
                    lambda: _one(store, "SELECT count(*) FROM task_attempts "
                                 "WHERE execution_id = :e", e=run)[0] > started,
                    60,
                )  # fmt: skip
                running_again = time.monotonic() - killed_mono
                _until(
                    lambda: (
                        _one(store, "SELECT status FROM executions WHERE id = :e", e=run)[0]
                        != "running"
                    ),
                    120,
                )
                ended = time.monotonic() - killed_mono
                status = _one(store, "SELECT status FROM executions WHERE id = :e", e=run)[0]
                done = _completed(store, run)
                takeover = (owner().acquired_at - killed_at).total_seconds()
            finally:
                a.stop()
                b.stop()
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()
    return {
        "mode": "failover",
        "tasks": tasks,
        "completed_before_kill": len(before),
        "status": status,
        "takeover_s": round(takeover, 2),
        "tasks_run_again_s": round(running_again, 2),
        "execution_ended_s": round(ended, 2),
        "lost": tasks - len(done),
        "duplicated": sum(1 for n in done.values() if n > 1),
        "rerun_after_completion": len([k for k in before if done[k] > 1]),
        "lease_s": float(os.environ.get("SOUNDING_EXECUTION_LEASE_SECONDS", 5.0)),
        "heartbeat_s": float(os.environ.get("SOUNDING_EXECUTION_HEARTBEAT_SECONDS", 1.5)),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "goal": {"takeover_s": 10, "lost": 0, "duplicated": 0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--url", default=os.environ.get("SOUNDING_TEST_POSTGRES_URL", DEFAULT_URL))
    args = parser.parse_args()
    print(json.dumps(failover(args.url, args.tasks)))


if __name__ == "__main__":
    main()
