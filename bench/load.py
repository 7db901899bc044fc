"""The API under load (issue 20): a viewer's mix of reads from ``wrk`` against a real server.

Builds the demo store (``sounding demo --no-serve``), starts a real ``sounding serve`` on a
free port, creates a viewer through the API and drives a mix of search (40 %), asset (35 %)
and lineage (25 %) reads with ``wrk`` through ``bench/load.lua`` (``--connections`` 50,
``--duration`` 30 s by default). ``wrk`` is pinned to core 1 with ``taskset -c 1``; the
server is not pinned (it shares both cores with wrk and anything else running).

Scenarios: ``idle`` (only the load) and ``workflow`` (a workflow of 1,000 ``sleep`` tasks of
0.05 s with ``max_concurrent: 20`` is started before the load and restarted whenever it
finishes, so one always runs through all the repeated measurements; its time alone is
measured first and compared with the mean time of the runs that finished under load). Each
scenario repeats the measurement ``--runs`` times (3) on the same server, to show whether its
memory grows.

One JSON line per scenario on stdout: req/s, p50/p95/p99 latency, non-2xx answers, the
server's RSS before the first run and after each, the server's CPU milliseconds per request
(``/proc/<pid>/stat`` utime+stime over the run ÷ requests; the robust figure on a shared
machine) and the load average. Progress goes to stderr.

    .venv/bin/python bench/load.py                        # SQLite store, both scenarios
    .venv/bin/python bench/load.py --store postgres       # a load_* database, dropped after
    .venv/bin/python bench/load.py --scenario idle --duration 10 --runs 1
    .venv/bin/python bench/load.py --demo-cache /tmp/load-demo   # build the demo once, reuse

The demo build takes a few minutes; ``--demo-cache DIR`` (SQLite only) builds it into DIR
once and copies it for every later invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.testing.server import ServerProcess  # noqa: E402

LUA = ROOT / "bench" / "load.lua"
WRK = "/usr/bin/wrk"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEARCHES = (
    "customer",
    "orders",
    "revenue by month",
    "email",
    "invoice",
    "product",
    "payment",
    "address",
    "daily sales",
    "employee",
)
WORKFLOW = {
    "name": "load-sleep",
    "limits": {"max_concurrent": 20},
    "steps": [{"id": "work", "type": "sleep", "config": {"seconds": 0.05, "tasks": 1000}}],
}
DONE = ("completed", "failed", "cancelled", "skipped")
TICK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(status.split("VmRSS:")[1].split()[0]) / 1024, 1)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime (fields 14, 15)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _build_demo(home: Path, env: dict[str, str]) -> str:
    """``sounding demo --no-serve`` into ``home``; returns the admin token it prints."""
    log(f"building the demo in {home} (a few minutes) ...")
    out = subprocess.run(
        [sys.executable, "-m", "sounding.cli", "demo", "--home", str(home), "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Admin API token:\s*(snd_[\w-]+)", out)
    assert match, out[-2000:]
    return match.group(1)


def _demo(home: Path, env: dict[str, str], cache: Path | None) -> str:
    if cache is None:
        return _build_demo(home, env)
    token_file = cache / "admin-token"
    if not token_file.exists():
        shutil.rmtree(cache, ignore_errors=True)
        token_file.parent.mkdir(parents=True)
        token_file.write_text(_build_demo(cache / "home", env))
    shutil.copytree(cache / "home", home, symlinks=True)
    return token_file.read_text().strip()


def _paths(client: httpx.Client) -> list[str]:
    """The request mix, from the demo catalog: 8 searches, 7 asset pages, 5 lineage graphs
    in every 20 requests."""
    tables = client.get("/api/v1/assets", params={"type": "table", "limit": 200}).json()["items"]
    views = client.get("/api/v1/assets", params={"type": "view", "limit": 200}).json()["items"]
    assets = tables + views
    assert assets, "the demo catalog has no tables"
    with_lineage = [
        a
        for a in assets
        if client.get(f"/api/v1/assets/{a['id']}/lineage", params={"depth": 2}).json()["edges"]
    ]
    assert with_lineage, "the demo catalog has no lineage"
    searches = [f"/api/v1/search?q={q.replace(' ', '+')}&limit=20" for q in SEARCHES]
    asset_paths = [f"/api/v1/assets/{a['id']}" for a in assets]
    lineage_paths = [f"/api/v1/assets/{a['id']}/lineage?depth=3" for a in with_lineage]
    mix: list[str] = []
    for i in range(max(len(asset_paths), 200)):
        block = (
            [searches[(i * 8 + k) % len(searches)] for k in range(8)]
            + [asset_paths[(i * 7 + k) % len(asset_paths)] for k in range(7)]
            + [lineage_paths[(i * 5 + k) % len(lineage_paths)] for k in range(5)]
        )
        mix.extend(block)
    return mix


def _viewer_token(server: ServerProcess) -> str:
    admin = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
    made = admin.post("/api/v1/users", json={"name": "load-viewer", "role": "viewer"})
    assert made.status_code in (201, 409), made.text
    token = admin.post("/api/v1/users/load-viewer/tokens", json={"name": "load"})
    assert token.status_code == 201, token.text
    return str(token.json()["token"])


def _wrk(base: str, paths: Path, token: str, connections: int, seconds: int) -> dict[str, Any]:
    cmd = [
        "taskset",
        "-c",
        "1",
        WRK,
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
    ]
    env = {**os.environ, "LOAD_PATHS": str(paths), "LOAD_TOKEN": token}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("LOADJSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("LOADJSON "))
    return result


class Workflow:
    """Runs the sleep workflow again and again until stopped; records each run's seconds."""

    def __init__(self, server: ServerProcess) -> None:
        self.client = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        made = self.client.post("/api/v1/orchestrations", json=WORKFLOW)
        assert made.status_code in (201, 409), made.text
        self.times: list[float] = []
        self.partial = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def once(self) -> float | None:
        """One run; None when stopped before it finished."""
        started = time.monotonic()
        run = self.client.post(f"/api/v1/orchestrations/{WORKFLOW['name']}/execute")
        assert run.status_code == 202, run.text
        run_id = run.json()["id"]
        while True:
            status = self.client.get(f"/api/v1/executions/{run_id}").json()["status"]
            if status in DONE:
                assert status == "completed", status
                return time.monotonic() - started
            if self._stop.wait(0.1):
                self.partial = time.monotonic() - started
                self.client.post(f"/api/v1/executions/{run_id}/cancel")
                return None

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                took = self.once()
                if took is not None:
                    self.times.append(took)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=60)
        # wait until the cancelled run has stopped, so the next measurement starts clean
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page = self.client.get("/api/v1/executions", params={"workflow": WORKFLOW["name"]})
            if page.status_code != 200 or all(e["status"] in DONE for e in page.json()["items"]):
                break
            time.sleep(0.2)


def _scenario(
    name: str, server: ServerProcess, paths: Path, token: str, args: argparse.Namespace
) -> dict[str, Any]:
    assert server.proc is not None
    pid = server.proc.pid
    workflow = Workflow(server) if name == "workflow" else None
    alone = None
    if workflow is not None:
        alone = workflow.once()
        log(f"the workflow alone: {alone:.2f} s")
    rss = [_rss_mb(pid)]
    runs = []
    if workflow is not None:  # one always runs, across all the repeated measurements
        workflow.start()
    for i in range(args.runs):
        done_before = len(workflow.times) if workflow is not None else 0
        cpu_before = _cpu_s(pid)
        result = _wrk(server.base, paths, token, args.connections, args.duration)
        cpu = _cpu_s(pid) - cpu_before
        rss.append(_rss_mb(pid))
        run = {
            "req_s": round(result["requests"] / (result["duration_us"] / 1e6), 1),
            "p50_ms": round(result["p50_us"] / 1000, 1),
            "p95_ms": round(result["p95_us"] / 1000, 1),
            "p99_ms": round(result["p99_us"] / 1000, 1),
            "requests": result["requests"],
            "non2xx": result["non2xx"],
            "socket_errors": result["socket_errors"],
            "cpu_ms_per_request": round(cpu * 1000 / max(1, result["requests"]), 2),
            "loadavg": _load(),
        }
        if result["first_bad"]:
            run["first_bad"] = result["first_bad"]
        if workflow is not None:
            run["workflow_runs_finished_s"] = [round(t, 2) for t in workflow.times[done_before:]]
        log(f"{name} run {i + 1}: {json.dumps(run)}")
        runs.append(run)
    if workflow is not None:
        workflow.stop()
    best = sorted(runs, key=lambda r: r["req_s"])[len(runs) // 2]  # the median run
    line: dict[str, Any] = {
        "bench": "load",
        "scenario": name,
        "store": args.store,
        "connections": args.connections,
        "duration_s": args.duration,
        "wrk": "taskset -c 1 wrk -t 2",
        "req_s": best["req_s"],
        "p50_ms": best["p50_ms"],
        "p95_ms": best["p95_ms"],
        "p99_ms": best["p99_ms"],
        "non2xx": sum(r["non2xx"] for r in runs),
        "cpu_ms_per_request": best["cpu_ms_per_request"],
        "rss_mb": rss,
        "loadavg": _load(),
        "runs": runs,
    }
    if workflow is not None:
        under = list(workflow.times)
        line["workflow_unfinished_s"] = round(workflow.partial, 2)
        line["workflow_alone_s"] = round(alone or 0, 2)
        line["workflow_under_load_s"] = round(sum(under) / len(under), 2) if under else None
        line["workflow_ratio"] = (
            round(line["workflow_under_load_s"] / alone, 2) if under and alone else None
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--scenario", choices=["idle", "workflow", "both"], default="both", help="what runs"
    )
    parser.add_argument("--duration", type=int, default=30, choices=range(1, 601), metavar="1..600")
    parser.add_argument(
        "--connections", type=int, default=50, choices=range(1, 1001), metavar="1..1000"
    )
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--demo-cache", type=Path, help="Build the demo here once and reuse it")
    parser.add_argument(
        "--hold", type=int, default=0, metavar="SECONDS", help="Keep serving after the runs"
    )
    args = parser.parse_args()
    if args.store == "postgres" and args.demo_cache:
        parser.error("--demo-cache works with the SQLite store only")
    scenarios = ["idle", "workflow"] if args.scenario == "both" else [args.scenario]
    database = f"load_{uuid.uuid4().hex[:10]}"
    env = {**os.environ}
    env.pop("SOUNDING_DATABASE_URL", None)
    if args.store == "postgres":
        import sqlalchemy as sa

        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        env["SOUNDING_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            env["SOUNDING_HOME"] = str(home)
            token = _demo(home, env, args.demo_cache)
            server = ServerProcess(home, env=env)
            server.token = token
            server.start(timeout=120)
            assert server.proc is not None
            try:
                log(f"serving on {server.base} (pid {server.proc.pid})")
                viewer = _viewer_token(server)
                paths = Path(tmp) / "paths.txt"
                client = httpx.Client(
                    base_url=server.base,
                    headers={"Authorization": f"Bearer {viewer}"},
                    timeout=60,
                )
                paths.write_text("\n".join(_paths(client)) + "\n")
                _wrk(server.base, paths, viewer, args.connections, 3)  # warm up
                for name in scenarios:
                    print(json.dumps(_scenario(name, server, paths, viewer, args)), flush=True)
                if args.hold:
                    log(f"holding for {args.hold} s")
                    time.sleep(args.hold)
            finally:
                server.stop()
    finally:
        if args.store == "postgres":
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
