"""The insights pages over a long execution history: server time of the overview, of a
workflow's duration page and of the chart fragment other pages embed.

Runs ``--executions`` real executions (through the services, as the scheduler would) of two
workflows into a fresh store: ``steady`` (one ``sleep`` step of 3 tasks) and ``growing`` (its
task count varies run to run, so the forecast is the Theil-Sen line, the costly model), then
serves the store with ``sounding serve`` and times each page from its ``Server-Timing``
header, logged in as a steward.

    .venv/bin/python bench/ui_insights.py [--executions 1000 --runs 20]

One JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.config import Settings  # noqa: E402
from sounding.domain.auth import Principal, Role  # noqa: E402
from sounding.services import workflows  # noqa: E402
from sounding.services.context import build_context  # noqa: E402
from sounding.testing.server import ServerProcess  # noqa: E402

PASSWORD = "bench-steward-1"  # noqa: S105 (a throwaway account of a temporary home)
TIMING = re.compile(r"app;dur=([0-9.]+)")


def _cli(home: Path, *args: str, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOUNDING_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args],
        env={**env, "SOUNDING_HOME": str(home), "NO_COLOR": "1"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"sounding {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def workflow(name: str, tasks: int) -> dict[str, Any]:
    return {
        "name": name,
        "steps": [{"id": "work", "type": "sleep", "config": {"seconds": 0.001, "tasks": tasks}}],
    }


def build_history(home: Path, executions: int) -> float:
    ctx = build_context(Settings(home=home))
    who = Principal("bench", Role.ADMIN)
    started = time.perf_counter()
    try:
        for i in range(executions):
            name, tasks = ("steady", 3) if i % 2 == 0 else ("growing", 1 + (i * 7) % 20)
            workflows.apply_workflow(ctx, who, workflow(name, tasks))
            run = workflows.execute(ctx, who, name)
            workflows.wait(ctx, run.id, timeout=60)
    finally:
        ctx.close()
    return round(time.perf_counter() - started, 1)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def server_times(client: httpx.Client, url: str, runs: int) -> dict[str, float]:
    client.get(url)  # warm-up: the first answer also compiles the templates
    server = []
    for _ in range(runs):
        answer = client.get(url)
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        match = TIMING.search(answer.headers.get("server-timing", ""))
        if match:
            server.append(float(match.group(1)))
    return {"p50_ms": _quantile(server, 0.5), "p95_ms": _quantile(server, 0.95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        history_s = build_history(home, args.executions)
        _cli(home, "user", "create", "bench", "--role", "steward", "--password-stdin",
             stdin=PASSWORD + "\n")  # fmt: skip
        server = ServerProcess(home)
        server.token = "-"  # noqa: S105 (a user exists, so no bootstrap token is printed)
        server.start(timeout=60)
        try:
            with httpx.Client(base_url=server.base, timeout=60) as client:
                login = client.post("/login", data={"username": "bench", "password": PASSWORD})
                assert login.status_code == 303, login.text[:300]
                pages = {
                    "overview": server_times(client, "/insights", args.runs),
                    "workflow": server_times(client, "/insights/workflows/growing", args.runs),
                    "step": server_times(
                        client, "/insights/workflows/growing/steps/work", args.runs
                    ),
                    "chart": server_times(client, "/insights/workflows/growing/chart", args.runs),
                }
        finally:
            server.stop()
    print(
        json.dumps(
            {
                "bench": "ui_insights",
                "executions": args.executions,
                "history_s": history_s,
                "runs": args.runs,
                **pages,
            }
        )
    )


if __name__ == "__main__":
    main()
