"""The web UI's workflow list at 1,000 workflows: server time of ``/workflows``.

Starts a real ``sounding serve`` on a new store, applies ``--workflows`` (default 1,000)
workflows through the API (three steps each; most with a cron schedule of one of the common
shapes, some in other time zones, some disabled), runs ``--executions`` of them (default 300,
noop steps) so rows have a last execution, logs a viewer in through the login form, and asks
for list pages as a person pages and filters: the first page, random pages, the largest page
size (200 rows) and name filters. Each answer's ``Server-Timing`` header gives the server's
own time. Also times a workflow's page (DAG layout, YAML, history). Goal (issue 15): list
p95 ≤ 50 ms server time at 1,000 workflows.

    .venv/bin/python bench/ui_workflows.py [--workflows 1000] [--executions 300] [--runs 200]

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.ui.site import _cli  # noqa: E402

from sounding.testing.server import ServerProcess  # noqa: E402

PASSWORD = "bench-pass-1"  # noqa: S105 (a throwaway user of a temporary store)
TIMING = "app;dur="
CRONS = ("0 3 * * *", "*/15 * * * *", "0 9 * * 1-5", "30 2 1 * *", "0 */6 * * *", "@hourly")
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 1)

    return {"p50_ms": q(0.5), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": q(1.0)}


def server_ms(answer: httpx.Response) -> float:
    header = answer.headers.get("server-timing", "")
    assert TIMING in header, f"no Server-Timing on {answer.request.url}"
    return float(header.split(TIMING)[1].split(",")[0].split(";")[0])


def workflow(i: int, rng: random.Random) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": f"wf-{i:04d}-{rng.choice(('orders', 'customers', 'audit', 'lake'))}",
        "description": f"bench workflow {i}",
        "params": {"size": i % 50, "full": bool(i % 2)},
        "steps": [
            {"id": "start", "type": "noop"},
            {"id": "middle", "type": "noop", "depends_on": ["start"]},
            {"id": "end", "type": "noop", "depends_on": ["middle"]},
        ],
    }
    if i % 5:
        doc["schedule"] = {"cron": rng.choice(CRONS), "timezone": rng.choice(ZONES)}
    return doc


def populate(server: ServerProcess, count: int, executions: int) -> tuple[float, list[str]]:
    rng = random.Random(15)
    started = time.perf_counter()
    names: list[str] = []
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=120) as api:
        for i in range(count):
            doc = workflow(i, rng)
            answer = api.post("/api/v1/orchestrations", json=doc)
            assert answer.status_code == 201, answer.text[:300]
            names.append(str(doc["name"]))
            if i % 7 == 3:
                off = api.patch(f"/api/v1/orchestrations/{doc['name']}", json={"enabled": False})
                assert off.status_code == 200, off.text[:300]
        for name in rng.sample(names, min(executions, len(names))):
            answer = api.post(f"/api/v1/orchestrations/{name}/execute", json={})
            assert answer.status_code == 202, answer.text[:300]
    return time.perf_counter() - started, names


def measure(client: httpx.Client, params: dict[str, object]) -> float:
    answer = client.get("/workflows", params=params)
    assert answer.status_code == 200, answer.text[:300]
    return server_ms(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        server = ServerProcess(home)
        server.start(timeout=120)
        _cli(
            home, "user", "create", "bench", "--role", "viewer", "--password-stdin", stdin=PASSWORD
        )
        client = httpx.Client(base_url=server.base, timeout=120)
        try:
            log(f"applying {args.workflows:,} workflows, running {args.executions} ...")
            populate_s, names = populate(server, args.workflows, args.executions)
            log(f"  {populate_s:.1f} s; measuring ...")
            answer = client.post(
                "/login", data={"username": "bench", "password": PASSWORD, "next": "/"}
            )
            assert answer.status_code == 303, answer.text[:300]
            pages = -(-args.workflows // 50)
            for _ in range(10):  # warm up
                measure(client, {})
            first = [measure(client, {}) for _ in range(args.runs)]
            paged = [measure(client, {"page": rng.randint(1, pages)}) for _ in range(args.runs)]
            big = [measure(client, {"size": 200}) for _ in range(args.runs // 4)]
            words = ("orders", "wf-01", "lake", "audit", "9", "nothing-here")
            filtered = [measure(client, {"q": rng.choice(words)}) for _ in range(args.runs // 2)]
            detail = []
            for name in rng.sample(names, min(40, len(names))):
                got = client.get(f"/workflows/{name}")
                assert got.status_code == 200, got.text[:300]
                detail.append(server_ms(got))
            rows = client.get("/workflows").text.count('<a href="/workflows/wf-')
        finally:
            client.close()
            server.stop()
    every = first + paged + filtered
    print(
        json.dumps(
            {
                "bench": "ui_workflows_list",
                "workflows": args.workflows,
                "executions": args.executions,
                "load_average_1m": round(os.getloadavg()[0], 1),
                "populate_s": round(populate_s, 1),
                "rows_per_page": rows,
                "list_first_page_server": quantiles(first),
                "list_random_page_server": quantiles(paged),
                "list_filtered_server": quantiles(filtered),
                "list_all_50_row_pages_server": quantiles(every),
                "list_200_rows_server": quantiles(big),
                "workflow_page_server": quantiles(detail),
                "goal_p95_ms": 50,
            }
        )
    )


if __name__ == "__main__":
    main()
