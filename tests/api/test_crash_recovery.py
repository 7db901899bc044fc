"""kill -9 the server mid-execution, start it again: the execution goes on, nothing twice."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from sounding.testing.server import ServerProcess

FLOW = {
    "name": "long",
    "limits": {"max_concurrent": 4},
    "steps": [
        {"id": "work", "type": "sleep", "config": {"seconds": 0.1, "tasks": 80}},
        {"id": "after", "type": "noop", "depends_on": "work"},
    ],
}


def _attempts(home: Path) -> list[tuple[str, str, int, str]]:
    import sqlite3

    conn = sqlite3.connect(home / "sounding.db")
    try:
        return conn.execute(
            "SELECT step_id, task_key, attempt, status FROM task_attempts"
        ).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_kill_9_mid_execution_then_restart(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home")
    server.start()
    try:
        httpx.post(f"{server.base}/api/v1/orchestrations", headers=server.headers, json=FLOW)
        run = httpx.post(
            f"{server.base}/api/v1/orchestrations/long/execute", headers=server.headers
        ).json()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = [a for a in _attempts(server.home) if a[3] == "completed"]
            if len(done) >= 12:
                break
            time.sleep(0.05)
        server.kill()
        before = {(a[0], a[1]) for a in _attempts(server.home) if a[3] == "completed"}
        assert 0 < len(before) < 80, "the crash must land mid-execution"
        server.start()
        deadline = time.monotonic() + 60
        status = ""
        while time.monotonic() < deadline and status not in ("completed", "failed"):
            status = httpx.get(
                f"{server.base}/api/v1/executions/{run['id']}", headers=server.headers
            ).json()["status"]
            time.sleep(0.1)
        assert status == "completed"
        completed = Counter((a[0], a[1]) for a in _attempts(server.home) if a[3] == "completed")
        assert len([k for k in completed if k[0] == "work"]) == 80  # none lost
        assert max(completed.values()) == 1  # none run to completion twice
        assert before <= set(completed)  # finished before the crash: not re-run
    finally:
        server.stop()
