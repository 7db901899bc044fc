"""Operating workflows over a real `sounding serve`: why an execution failed, live progress in
the status endpoint, apply-time validation, pools, pausing a schedule, YAML definitions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source


class Client:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base, headers=server.headers, timeout=30)

    def wait(self, execution_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            detail: dict[str, Any] = self.http.get(f"/api/v1/executions/{execution_id}").json()
            if detail["status"] in ("completed", "failed", "cancelled"):
                return detail
            time.sleep(0.05)
        raise AssertionError(f"execution {execution_id} did not end in {timeout} s")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    home = tmp_path_factory.mktemp("ops")
    server = ServerProcess(
        home / "home",
        env={"SOUNDING_RESOURCES": '{"memory_gb": 4}', "SOUNDING_DEFAULT_SOURCE_LIMIT": "8"},
    )
    server.start()
    try:
        c = Client(server)
        url = sqlite_source(home / "shop.db")
        assert c.http.post("/api/v1/sources", json={"name": "shop", "url": url}).status_code == 201
        yield c
        c.http.close()
    finally:
        server.stop()


def test_a_failed_execution_says_why_in_the_status_endpoint(client: Client, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "gone.db")
    assert client.http.post("/api/v1/sources", json={"name": "gone", "url": url}).is_success
    flow = {
        "name": "why-failed",
        "steps": [{"id": "discover", "type": "discover", "config": {"source": "gone"}}],
    }
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    assert client.http.delete("/api/v1/sources/gone").status_code == 204
    run = client.http.post("/api/v1/orchestrations/why-failed/execute").json()
    detail = client.wait(run["id"])
    assert detail["status"] == "failed"
    (step,) = detail["steps"]
    assert step["errors_total"] == 1
    (error,) = step["errors"]
    assert error["error_type"] == "NotFoundError"
    assert "Source 'gone' not found" in error["message"]


def test_many_failures_are_bounded(client: Client) -> None:
    flow = {
        "name": "many-failures",
        "steps": [
            {
                "id": "boom",
                "type": "sleep",
                "timeout": 0.01,
                "config": {"seconds": 1, "tasks": 7},
            }
        ],
    }
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    run = client.http.post("/api/v1/orchestrations/many-failures/execute").json()
    (step,) = client.wait(run["id"])["steps"]
    assert step["errors_total"] == 7
    assert len(step["errors"]) == 3
    assert [e["task_key"] for e in step["errors"]] == ["0", "1", "2"]
    assert all(e["error_type"] == "TimeoutError" for e in step["errors"])


def test_status_endpoint_shows_live_progress(client: Client) -> None:
    flow = {
        "name": "slow-progress",
        "limits": {"max_concurrent": 2},
        "steps": [{"id": "wait", "type": "sleep", "config": {"seconds": 0.1, "tasks": 20}}],
    }
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    run = client.http.post("/api/v1/orchestrations/slow-progress/execute").json()
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        detail = client.http.get(f"/api/v1/executions/{run['id']}").json()
        if detail["status"] != "running":
            break
        (step,) = detail["steps"]
        if 0 < step["tasks_done"] < 20:
            seen.append({**step, "execution": detail["progress"]})
        time.sleep(0.05)
    assert seen, "never saw the step part-way done"
    middle = seen[len(seen) // 2]
    assert middle["tasks_total"] == 20
    assert middle["percent"] == pytest.approx(100 * middle["tasks_done"] / 20, abs=0.1)
    assert middle["eta_seconds"] is not None and middle["eta_seconds"] > 0
    assert middle["execution"]["percent"] == middle["percent"]
    final = client.wait(run["id"])
    assert final["steps"][0]["tasks_done"] == 20 and final["steps"][0]["percent"] == 100.0
