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
  Goal p95 <= 1 s. (Server and client share the machine's clock.) With ``--browser``, also
  in Debian's headless Chromium: the page is open while the run goes, a MutationObserver
  notes when the step's done cell changes, and the latency runs to that moment (tasks that
  finished before the page first showed a figure are left out).

    .venv/bin/python bench/ui_execution.py [--tasks 10000] [--runs 30] [--browser]

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
        time.sleep(0.5)  # a person with the page open and paging: not a load test


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


def _latencies(
    finished: list[float], updates: list[tuple[float, dict[str, Any]]], since: float = 0.0
) -> list[float]:
    """ms from the k-th finish (in finishing order) to the first update showing >= k done;
    only tasks that finished after ``since`` count (they were finished before it showed)."""
    shown: list[tuple[int, float]] = []  # (done count, arrival), done rising
    for arrival, msg in updates:
        for step in msg["steps"]:
            done = step.get("done") if step["id"] == "work" else None
            if done is not None and (not shown or done > shown[-1][0]):
                shown.append((done, arrival))
    counts = [c for c, _ in shown]
    out = []
    for k, at in enumerate(finished, start=1):
        if at <= since:
            continue
        i = bisect.bisect_left(counts, k)
        if i < len(shown):
            out.append((shown[i][1] - at) * 1000)
    return out


OBSERVE = """
window.__shown = [];
document.addEventListener("DOMContentLoaded", function () {
  var cell = document.querySelector("[data-step-row=work] [data-f=done]");
  if (!cell) return;
  var note = function () {
    window.__shown.push([Date.now() / 1000, Number(cell.textContent.replace(/\\D/g, ""))]);
  };
  note();
  new MutationObserver(note).observe(cell, {childList: true, characterData: true, subtree: true});
});
"""


class Browser:
    """Chromium with the execution page open, noting when the done cell changes."""

    def __init__(self, base: str) -> None:
        from playwright.sync_api import sync_playwright  # only with --browser

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path="/usr/lib/chromium/chromium",
            headless=True,
            args=["--disable-dev-shm-usage", "--disable-gpu", "--no-sandbox"],
        )
        self.page = self._browser.new_page()
        self.page.add_init_script(OBSERVE)
        self.page.goto(f"{base}/login")
        self.page.fill("#username", "ann")
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/")
        self.base = base

    def open(self, execution_id: str) -> None:
        self.page.goto(f"{self.base}/executions/{execution_id}")

    def shown(self) -> list[tuple[float, dict[str, Any]]]:
        self.page.wait_for_selector("#exec-status[data-status=completed]", timeout=120_000)
        self.page.wait_for_timeout(500)
        notes = self.page.evaluate("() => window.__shown")
        return [(at, {"steps": [{"id": "work", "done": done}]}) for at, done in notes]

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()


def run(tasks: int, runs: int, browser: bool) -> dict[str, Any]:
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
            chromium = Browser(server.base) if browser else None
            watcher = httpx.Client(base_url=server.base, cookies=web.cookies, timeout=120)
            poller = httpx.Client(base_url=server.base, cookies=web.cookies, timeout=120)
            started = time.monotonic()
            execution_id = api.post("/api/v1/orchestrations/big/execute").json()["id"]
            updates: list[tuple[float, dict[str, Any]]] = []
            follow = threading.Thread(target=_follow, args=(watcher, execution_id, updates))
            follow.start()
            if chromium:
                chromium.open(execution_id)
            stop = threading.Event()
            during: dict[str, list[float]] = {}
            paths = _paths(execution_id)
            poll = threading.Thread(target=_poll, args=(poller, paths, stop, during))
            poll.start()
            log(f"running {execution_id} ...")
            follow.join(timeout=600)
            log(f"the SSE client saw it end after {time.monotonic() - started:.1f} s")
            shown = chromium.shown() if chromium else []
            log("the browser showed it completed" if chromium else "no browser")
            if chromium:
                chromium.close()
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
    in_browser = _latencies(finished, shown, shown[0][0]) if shown else []
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
        "browser_task_to_dom_ms": {
            "measured": len(in_browser),
            "p50": _quantile(in_browser, 0.5),
            "p95": _quantile(in_browser, 0.95),
            "max": round(max(in_browser), 1) if in_browser else None,
        }
        if browser
        else None,
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
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    args = parser.parse_args()
    print(json.dumps(run(args.tasks, args.runs, args.browser)))


if __name__ == "__main__":
    main()
