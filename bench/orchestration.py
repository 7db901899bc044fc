"""Orchestration engine benchmarks (in-memory run storage, local executor).

    .venv/bin/python bench/orchestration.py --mode hop [--repeat 5] [--no-prefect]
    .venv/bin/python bench/orchestration.py --mode fanout [--tasks 10000] [--executor dask]
    .venv/bin/python bench/orchestration.py --mode concurrency [--scans 1000] [--sources 100]

* ``hop``: a chain of 40 single-task steps; hop = next task's start - previous task's end,
  both stamped inside the task bodies (p50/p95 in ms, goal p50 <= 5 ms). Also reports the same
  hop for Prefect: an equivalent 40-task chain (each task ``wait_for`` the previous one) run in
  a subprocess of a separate venv, ``bench/.peer-venvs/prefect`` (created and pip-installed on
  first use; git-ignored), in Prefect's ephemeral mode (no ``PREFECT_API_URL``, a temporary
  ``PREFECT_HOME``). FastAPI is pinned below 0.140 there: Prefect 3.8's server still passes
  ``min_items=`` to ``Body()``, which newer FastAPI rejects. If Prefect cannot run, the JSON
  says so in ``prefect_error``.
* ``fanout``: one step fanning out into 10,000 no-op tasks; tasks per second from submit to
  the execution's end (goal >= 2,000/s). ``--executor dask`` runs the tasks on a
  ``distributed.LocalCluster`` of 2 worker processes (one thread each) instead.
* ``concurrency``: 1,000 simulated scans (1 s of asyncio sleep each) over 100 sources with a
  per-source limit of 10; total time against the ideal 1 s (goal <= 2x).

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sounding.domain.orchestration import RunStatus
from sounding.orchestration import (
    Engine,
    EngineConfig,
    InMemoryRunStorage,
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
)

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / "bench" / ".peer-venvs" / "prefect"
PEER_REQUIREMENTS = ["prefect", "fastapi<0.140"]
CHAIN = 40


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


# -- hop latency --


async def sounding_hops(repeat: int) -> dict[str, Any]:
    marks: dict[tuple[int, str], tuple[float, float]] = {}

    async def mark(ctx: TaskContext) -> None:
        t = time.perf_counter()
        marks[(int(ctx.params["run"]), ctx.step_id)] = (t, time.perf_counter())

    registry = StepTypeRegistry.default(entry_point_plugins=False)
    registry.register("mark", lambda ctx: StepPlan(run=mark))
    steps = [
        {"id": f"s{i:02d}", "type": "mark", "depends_on": [f"s{i - 1:02d}"] if i else []}
        for i in range(CHAIN)
    ]
    doc = {"name": "chain", "strategy": "graph_based", "steps": steps}
    hops, record_hops = [], []
    async with Engine(InMemoryRunStorage(), registry=registry) as engine:
        for r in range(repeat + 1):  # the first chain warms up
            eid = await engine.submit(doc, params={"run": r})
            assert (await engine.wait(eid)).status is RunStatus.COMPLETED
            if r == 0:
                continue
            for i in range(1, CHAIN):
                hops.append(marks[(r, f"s{i:02d}")][0] - marks[(r, f"s{i - 1:02d}")][1])
            attempts = {a.step_id: a for a in await engine.storage.list_task_attempts(eid)}
            for i in range(1, CHAIN):
                prev, nxt = attempts[f"s{i - 1:02d}"], attempts[f"s{i:02d}"]
                assert prev.finished_at is not None
                record_hops.append((nxt.started_at - prev.finished_at).total_seconds())
    ms = [h * 1000 for h in hops]
    return {
        "hops": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "recorded_p50_ms": round(statistics.median(record_hops) * 1000, 3),
        "goal_p50_ms": 5.0,
    }


PREFECT_SCRIPT = r"""
import json, statistics, time
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
marks.clear()
hops = []
for _ in range(REPEAT):
    marks.clear()
    chain(CHAIN)
    hops += [(marks[i + 1][0] - marks[i][1]) * 1000 for i in range(CHAIN - 1)]
hops.sort()
import prefect
print(json.dumps({"hops": len(hops), "p50_ms": round(statistics.median(hops), 3),
                  "p95_ms": round(hops[round(0.95 * (len(hops) - 1))], 3),
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


def prefect_hops(repeat: int) -> dict[str, Any]:
    try:
        python = ensure_prefect_venv()
    except (subprocess.CalledProcessError, OSError) as exc:
        return {"prefect_error": f"could not install prefect: {exc}"}
    script = PREFECT_SCRIPT.replace("REPEAT", str(repeat)).replace("CHAIN", str(CHAIN))
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {"PREFECT_HOME": home, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        log("running the Prefect chain (ephemeral server) ...")
        proc = subprocess.run(
            [str(python), "-c", script], env=env, cwd=home, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"prefect_error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    found = json.loads(lines[-1])
    return {f"prefect_{k}": v for k, v in found.items()}


# -- fan-out throughput --


async def fanout(tasks: int, executor_name: str = "local") -> dict[str, Any]:
    doc = {"name": "fanout", "steps": [{"id": "fan", "type": "noop", "config": {"tasks": tasks}}]}
    executor = None
    if executor_name == "dask":
        from sounding.orchestration.executors.dask import DaskExecutor

        log("starting a LocalCluster (2 worker processes) ...")
        executor = DaskExecutor(n_workers=2, threads_per_worker=1)
    async with Engine(InMemoryRunStorage(), executor=executor) as engine:
        await engine.wait(await engine.submit({**doc, "name": "warm-up"}))
        began = time.perf_counter()
        eid = await engine.submit(doc)
        rec = await engine.wait(eid)
        elapsed = time.perf_counter() - began
        done = sum(1 for a in await engine.storage.list_task_attempts(eid)
                   if a.status is RunStatus.COMPLETED)  # fmt: skip
    assert rec.status is RunStatus.COMPLETED and done == tasks
    return {
        "executor": executor_name,
        "tasks": tasks,
        "seconds": round(elapsed, 3),
        "tasks_per_s": round(tasks / elapsed),
        "goal_tasks_per_s": 2000,
    }


# -- concurrency under per-source limits --


async def concurrency(scans: int, sources: int, per_source: int) -> dict[str, Any]:
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    async def scan(ctx: TaskContext) -> None:
        src = ctx.source or "-"
        running[src] += 1
        peak[src] = max(peak[src], running[src])
        try:
            await asyncio.sleep(1.0)  # the source answering
        finally:
            running[src] -= 1

    def plan(ctx: StepContext) -> StepPlan:
        from sounding.orchestration import TaskSpec

        return StepPlan(run=scan, tasks=[TaskSpec(str(i), source=f"src{i % sources:03d}")
                                         for i in range(scans)])  # fmt: skip

    registry = StepTypeRegistry.default(entry_point_plugins=False)
    registry.register("scan", plan)
    doc = {"name": "scans", "limits": {"per_source": per_source},
           "steps": [{"id": "scan", "type": "scan"}]}  # fmt: skip
    config = EngineConfig(max_concurrency=None)
    async with Engine(InMemoryRunStorage(), registry=registry, config=config) as engine:
        began = time.perf_counter()
        rec = await engine.wait(await engine.submit(doc))
        elapsed = time.perf_counter() - began
    assert rec.status is RunStatus.COMPLETED
    ideal = scans / (sources * per_source) * 1.0
    return {
        "scans": scans,
        "sources": sources,
        "per_source_limit": per_source,
        "max_concurrent_per_source_seen": max(peak.values()),
        "seconds": round(elapsed, 3),
        "ideal_seconds": ideal,
        "ratio_to_ideal": round(elapsed / ideal, 3),
        "goal_ratio": 2.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=["hop", "fanout", "concurrency"], required=True)
    ap.add_argument("--repeat", type=int, default=5, help="hop: chains measured")
    ap.add_argument("--no-prefect", action="store_true", help="hop: skip the Prefect peer")
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--executor", choices=["local", "dask"], default="local", help="fanout")
    ap.add_argument("--scans", type=int, default=1_000)
    ap.add_argument("--sources", type=int, default=100)
    ap.add_argument("--per-source", type=int, default=10)
    args = ap.parse_args()
    out: dict[str, Any] = {"bench": "orchestration", "mode": args.mode}
    if args.mode == "hop":
        out |= asyncio.run(sounding_hops(args.repeat))
        if not args.no_prefect:
            out |= prefect_hops(args.repeat)
    elif args.mode == "fanout":
        out |= asyncio.run(fanout(args.tasks, args.executor))
    else:
        out |= asyncio.run(concurrency(args.scans, args.sources, args.per_source))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
