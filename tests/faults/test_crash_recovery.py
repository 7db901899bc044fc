"""kill -9 the server at several points of an execution (at once, mid fan-out, near its end),
start it again each time: the execution goes on to the end with every task's result stored
once (0 lost, 0 duplicated)."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from sounding.testing.server import ServerProcess

pytestmark = pytest.mark.slow

TASKS = 80
FLOW = {
    "name": "long",
    "limits": {"max_concurrent": 4},
    "steps": [
        # 10 s of work at 4 at a time: longer than a restart takes on a loaded machine, where a
        # restarted server resumed and finished a 2 s run before its start returned
        {"id": "work", "type": "sleep", "config": {"seconds": 0.5, "tasks": TASKS}},
        {"id": "after", "type": "noop", "depends_on": "work"},
    ],
}


def _attempts(home: Path) -> list[tuple[str, str, int, str]]:
    conn = sqlite3.connect(home / "sounding.db")
    try:
        return conn.execute(
            "SELECT step_id, task_key, attempt, status FROM task_attempts"
        ).fetchall()
    finally:
        conn.close()


def _completed(home: Path) -> set[tuple[str, str]]:
    return {(a[0], a[1]) for a in _attempts(home) if a[3] == "completed"}


def _kill_when(server: ServerProcess, done: int, timeout: float = 120) -> set[tuple[str, str]]:
    """kill -9 once at least ``done`` tasks have completed; what had completed by then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(_completed(server.home)) < done:
        time.sleep(0.02)
    server.kill()
    return _completed(server.home)


def test_kill_9_at_several_points_then_restart(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home")
    server.start()
    try:
        made = httpx.post(f"{server.base}/api/v1/orchestrations", headers=server.headers, json=FLOW)
        assert made.status_code == 201, made.text
        run = httpx.post(
            f"{server.base}/api/v1/orchestrations/long/execute", headers=server.headers
        ).json()
        # 1: at once, before (or as) the first tasks start
        server.kill()
        finished = [_completed(server.home)]
        # 2: in the middle of the fan-out, 3: near its end
        for done in (30, 70):
            server.start()
            finished.append(_kill_when(server, max(done, len(finished[-1]) + 1)))
        assert 0 < len(finished[1]) < len(finished[2]) < TASKS, [len(f) for f in finished]
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
        assert len([k for k in completed if k[0] == "work"]) == TASKS  # none lost
        assert completed[("after", "*")] == 1
        assert max(completed.values()) == 1  # none run to completion twice
        for before in finished:  # finished before a crash: never re-run after it
            assert before <= set(completed)
    finally:
        server.stop()


WIDE_TASKS = 3000
WIDE = {
    "name": "wide",
    "limits": {"max_concurrent": 64},
    "steps": [{"id": "work", "type": "sleep", "config": {"seconds": 0.1, "tasks": WIDE_TASKS}}],
}


def test_kill_9_while_writes_are_committed_in_groups(tmp_path: Path) -> None:
    """64 short tasks at a time: their starts and finishes are committed in groups of dozens
    (run storage's group commit). A kill -9 lands between, or during, such groups: whatever a
    group had committed stays (a completed task never runs again), whatever it had not is
    redone (none lost), and nothing is recorded twice."""
    server = ServerProcess(tmp_path / "home")
    server.start(timeout=120)
    try:
        made = httpx.post(f"{server.base}/api/v1/orchestrations", headers=server.headers, json=WIDE)
        assert made.status_code == 201, made.text
        run = httpx.post(
            f"{server.base}/api/v1/orchestrations/wide/execute", headers=server.headers
        ).json()
        snapshots = []  # (completed keys, attempts per key) at each kill
        for done in (300, 1200):
            _kill_when(server, done)
            attempts = Counter((a[0], a[1]) for a in _attempts(server.home))
            snapshots.append((_completed(server.home), attempts))
            server.start(timeout=120)
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline and status not in ("completed", "failed"):
            status = httpx.get(
                f"{server.base}/api/v1/executions/{run['id']}", headers=server.headers
            ).json()["status"]
            time.sleep(0.1)
        assert status == "completed"
        final = _attempts(server.home)
        completed = Counter((a[0], a[1]) for a in final if a[3] == "completed")
        attempts = Counter((a[0], a[1]) for a in final)
        assert len(completed) == WIDE_TASKS  # none lost
        assert max(completed.values()) == 1  # none recorded complete twice
        assert len(final) == len({(a[0], a[1], a[2]) for a in final})  # no attempt twice
        first, second = snapshots
        assert 0 < len(first[0]) < len(second[0]) < WIDE_TASKS
        for done_before, attempts_then in snapshots:  # completed before a kill: never re-run
            assert all(attempts[k] == attempts_then[k] for k in done_before)
    finally:
        server.stop()
