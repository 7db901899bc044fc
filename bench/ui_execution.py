"""The execution monitor of a 10,000-task execution through a real ``sounding serve`` (its
durable SQLite store): server time of the page and each fragment, and how long after a task
finished the live stream tells the browser.

Starts a server in a temporary home, makes a steward with a password, applies a workflow
``prep -> work (noop, --tasks tasks) -> report`` and runs it: tasks complete as fast as the
engine runs them. While it runs, an SSE client follows ``/executions/{id}/live`` (what
``static/executions.js`` reads) and a second client requests the page and its fragments in a
loop; afterwards each is requested ``--runs`` more times on the finished execution.

* Server time: the ``Server-Timing: app;dur=`` of each answer (inside the server, until the
  response started). Goal p95 <= 100 ms for the page and each fragment.
* Latency: for the k-th task of ``work`` to finish (its ``finished_at`` in the store), the
  arrival at the client of the first update whose ``done`` count is >= k, minus that time.
  Goal p95 <= 1 s. (Server and client share the machine's clock.)

    .venv/bin/python bench/ui_execution.py [--tasks 10000] [--runs 30]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.ui.site import _cli  # noqa: E402

from sounding.testing.server import ServerProcess  # noqa: E402

TIMING = re.compile(r"app;dur=([0-9.]+)")
PASSWORD = "bench-pass-1"  # noqa: S105 (a throwaway user in a temporary store)
HTMX = {"HX-Request": "true"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def _paths(execution_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    base = f"/executions/{execution_id}"
    return {
        "page": (base, {}),
        "tasks_page1": (f"{base}/tasks", HTMX),
        "tasks_page150": (f"{base}/tasks?tpage=150", HTMX),
        "tasks_completed_p20": (f"{base}/tasks?tstatus=completed&tpage=20", HTMX),
        "tasks_step": (f"{base}/tasks?step=work&tpage=3", HTMX),
        "timeline": (f"{base}/timeline", HTMX),
        "head": (f"{base}/head", HTMX),
        "list": ("/executions", {}),
    }


def _time(client: httpx.Client, path: str, headers: dict[str, str]) -> float:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    match = TIMING.search(answer.headers.get("server-timing", ""))
    assert match, f"no Server-Timing on {path}"
    return float(match.group(1))


def _follow(
    client: httpx.Client, execution_id: str, out: list[tuple[float, dict[str, Any]]]
) -> None:
    with client.stream("GET", f"/executions/{execution_id}/live", timeout=None) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                out.append((time.time(), json.loads(line[6:])))


def _poll(
    client: httpx.Client,
    paths: dict[str, tuple[str, dict[str, str]]],
    stop: threading.Event,
    out: dict[str, list[float]],
) -> None:
    while not stop.is_set():
        for name, (path, headers) in paths.items():
            out.setdefault(name, []).append(_time(client, path, headers))
        time.sleep(0.05)


def _finished(home: Path, execution_id: str) -> list[float]:
    conn = sqlite3.connect(home / "sounding.db")
    try:
        rows = conn.execute(
            "SELECT finished_at FROM task_attempts WHERE execution_id = ? AND step_id = 'work' "
            "AND status = 'completed' ORDER BY finished_at",
            (execution_id,),
        ).fetchall()
    finally:
        conn.close()
    return [datetime.fromisoformat(str(r[0])).replace(tzinfo=UTC).timestamp() for r in rows]


def _latencies(finished: list[float], updates: list[tuple[float, dict[str, Any]]]) -> list[float]:
    shown: list[tuple[int, float]] = []  # (done count, arrival), done rising
    for arrival, msg in updates:
        for step in msg["steps"]:
            done = step.get("done") if step["id"] == "work" else None
            if done is not None and (not shown or done > shown[-1][0]):
                shown.append((done, arrival))
    counts = [c for c, _ in shown]
    out = []
    for k, at in enumerate(finished, start=1):
        i = bisect.bisect_left(counts, k)
        if i < len(shown):
            out.append((shown[i][1] - at) * 1000)
    return out


def run(tasks: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        server = ServerProcess(home)
        server.start(timeout=60)
        try:
            _cli(home, "user", "create", "ann", "--role", "steward", "--password-stdin",
                 stdin=PASSWORD + "\n")  # fmt: skip
            api = httpx.Client(base_url=server.base, headers=server.headers, timeout=120)
            steps = [
                {"id": "prep", "type": "noop"},
                {"id": "work", "type": "noop", "depends_on": ["prep"], "config": {"tasks": tasks}},
                {"id": "report", "type": "noop", "depends_on": ["work"]},
            ]
            applied = api.post("/api/v1/orchestrations", json={"name": "big", "steps": steps})
            assert applied.status_code == 201, applied.text
            web = httpx.Client(base_url=server.base, timeout=120)
            login = web.post("/login", data={"username": "ann", "password": PASSWORD})
            assert login.status_code == 303, login.text
            watcher = httpx.Client(base_url=server.base, cookies=web.cookies, timeout=120)
            poller = httpx.Client(base_url=server.base, cookies=web.cookies, timeout=120)
            started = time.monotonic()
            execution_id = api.post("/api/v1/orchestrations/big/execute").json()["id"]
            updates: list[tuple[float, dict[str, Any]]] = []
            follow = threading.Thread(target=_follow, args=(watcher, execution_id, updates))
            follow.start()
            stop = threading.Event()
            during: dict[str, list[float]] = {}
            paths = _paths(execution_id)
            poll = threading.Thread(target=_poll, args=(poller, paths, stop, during))
            poll.start()
            follow.join(timeout=600)
            run_s = time.monotonic() - started
            stop.set()
            poll.join()
            status = api.get(f"/api/v1/executions/{execution_id}").json()["status"]
            after: dict[str, list[float]] = {}
            for _ in range(runs):
                for name, (path, headers) in paths.items():
                    after.setdefault(name, []).append(_time(web, path, headers))
            finished = _finished(home, execution_id)
        finally:
            server.stop()
    latencies = _latencies(finished, updates)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(updates[1:])]
    return {
        "tasks": tasks,
        "status": status,
        "run_s": round(run_s, 2),
        "tasks_per_s": round(tasks / run_s, 1),
        "updates": len(updates),
        "updates_per_s": round(len(updates) / run_s, 2),
        "min_gap_ms": round(min(gaps) * 1000, 1) if gaps else None,
        "task_to_update_ms": {
            "measured": len(latencies),
            "p50": _quantile(latencies, 0.5),
            "p95": _quantile(latencies, 0.95),
            "max": round(max(latencies), 1) if latencies else None,
        },
        "server_ms_while_running": {
            name: {"n": len(v), "p50": _quantile(v, 0.5), "p95": _quantile(v, 0.95)}
            for name, v in during.items()
        },
        "server_ms_finished": {
            name: {"n": len(v), "p50": _quantile(v, 0.5), "p95": _quantile(v, 0.95)}
            for name, v in after.items()
        },
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 1),
        "goal": {"server_p95_ms": 100, "task_to_update_p95_ms": 1000},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(run(args.tasks, args.runs)))


if __name__ == "__main__":
    main()
