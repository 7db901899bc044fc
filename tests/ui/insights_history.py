"""Execution history for the insights pages, made by running real workflows on the demo
server through its API (``sleep`` steps: their durations are what the forecasts model)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.ui.site import Site


def spread(name: str, source: str) -> dict[str, Any]:
    """Six tasks on one source held to 2 at a time: the raise-concurrency rule fires after
    3 runs."""
    tasks = [{"key": f"t{i}", "source": source} for i in range(6)]
    return {
        "name": name,
        "strategy": "graph_based",
        "limits": {"per_source": 2},
        "steps": [{"id": "read", "type": "sleep", "config": {"seconds": 0.1, "tasks": tasks}}],
    }


def fan(name: str, tasks: int, seconds: float) -> dict[str, Any]:
    return {
        "name": name,
        "strategy": "sequential",
        "steps": [
            {"id": "setup", "type": "noop"},
            {
                "id": "work",
                "type": "sleep",
                "depends_on": "setup",
                "config": {"seconds": seconds, "tasks": tasks},
            },
        ],
    }


def api(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.base, headers=site.server.headers, timeout=60)


def run(client: httpx.Client, document: dict[str, Any]) -> str:
    """Store ``document`` and run it to its end; the execution's id."""
    stored = client.post("/api/v1/orchestrations", json=document)
    assert stored.status_code in (200, 201), stored.text
    started = client.post(f"/api/v1/orchestrations/{document['name']}/execute")
    assert started.status_code in (200, 201, 202), started.text
    execution = started.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = client.get(f"/api/v1/executions/{execution}").json()
        if detail["status"] in ("completed", "failed", "cancelled"):
            assert detail["status"] == "completed", detail
            return execution
        time.sleep(0.05)
    raise AssertionError(f"execution {execution} did not end")


def build(site: Site, prefix: str) -> dict[str, Any]:
    """Workflow ``PREFIX-spread`` with a concurrency recommendation, and ``PREFIX-fan`` with
    8 runs of which one took about 12x its forecast; returns their names and that run's id."""
    with api(site) as client:
        for _ in range(3):
            run(client, spread(f"{prefix}-spread", f"{prefix}-src"))
        normal = [run(client, fan(f"{prefix}-fan", 3, 0.02)) for _ in range(6)]
        slow = run(client, fan(f"{prefix}-fan", 3, 0.25))
        normal.append(run(client, fan(f"{prefix}-fan", 3, 0.02)))
    return {"spread": f"{prefix}-spread", "fan": f"{prefix}-fan", "slow": slow, "normal": normal}
