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
        if detail["status"] in ("completed", "failed", "cancelled"):
            break  # (it may still be pending at the first look on a busy machine)
        (step,) = detail["steps"] or [{"tasks_done": 0}]
        if detail["status"] == "running" and 0 < step["tasks_done"] < 20:
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


def test_apply_refuses_unknown_references_all_at_once(client: Client) -> None:
    flow = {
        "name": "bad-refs",
        "steps": [
            {"id": "discover", "type": "discover", "config": {"source": "nosuch"}},
            {"id": "tell", "type": "notify", "depends_on": "discover"},
            {"id": "heavy", "type": "noop", "pool": "nopool", "resources": {"gpu": 1}},
            {"id": "bad", "type": "teleport"},
        ],
    }
    resp = client.http.post("/api/v1/orchestrations", json=flow)
    assert resp.status_code == 422, resp.text
    errors = {e["loc"]: e["msg"] for e in resp.json()["error"]["details"]["errors"]}
    assert set(errors) == {
        "steps[0].config.source",
        "steps[1].config.url",
        "steps[2].pool",
        "steps[2].resources.gpu",
        "steps[3].type",
    }
    assert "unknown source 'nosuch'" in errors["steps[0].config.source"]
    assert "known: memory_gb" in errors["steps[2].resources.gpu"]
    assert client.http.get("/api/v1/orchestrations/bad-refs").status_code == 404


def test_pools_are_managed_and_respected_by_workflows(client: Client) -> None:
    created = client.http.post("/api/v1/pools", json={"name": "db", "slots": 4})
    assert created.status_code == 201, created.text
    assert created.json()["slots"] == 4
    assert client.http.post("/api/v1/pools", json={"name": "db", "slots": 1}).status_code == 409
    assert client.http.post("/api/v1/pools", json={"name": "x", "slots": 0}).status_code == 422
    resized = client.http.patch("/api/v1/pools/db", json={"slots": 1})
    assert resized.json()["slots"] == 1
    assert [p["name"] for p in client.http.get("/api/v1/pools").json()["items"]] == ["db"]
    flow = {
        "name": "pooled",
        "steps": [
            {
                "id": "a",
                "type": "sleep",
                "pool": "db",
                "resources": {"memory_gb": 1},
                "config": {"seconds": 0.15, "tasks": 3},
            }
        ],
    }
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    run = client.http.post("/api/v1/orchestrations/pooled/execute").json()
    started = time.monotonic()
    detail = client.wait(run["id"])
    assert detail["status"] == "completed", detail
    # one slot: the three 0.15 s tasks ran one after another
    assert time.monotonic() - started >= 0.4
    conflict = client.http.delete("/api/v1/pools/db")
    assert conflict.status_code == 409 and "pooled" in conflict.json()["error"]["message"]
    assert client.http.delete("/api/v1/orchestrations/pooled").status_code == 204
    assert client.http.delete("/api/v1/pools/db").status_code == 204
    assert client.http.get("/api/v1/pools/db").status_code == 404


def test_workflows_can_be_disabled_and_enabled(client: Client) -> None:
    flow = {
        "name": "every-second",
        "schedule": {"interval": "1s", "catchup": "none"},
        "steps": [{"id": "a", "type": "noop"}],
    }
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    off = client.http.patch("/api/v1/orchestrations/every-second", json={"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    time.sleep(0.3)  # a tick already in flight when it was disabled may still start
    before = client.http.get("/api/v1/executions?workflow=every-second").json()["total"]
    time.sleep(2.5)
    assert client.http.get("/api/v1/executions?workflow=every-second").json()["total"] == before
    on = client.http.patch("/api/v1/orchestrations/every-second", json={"enabled": True})
    assert on.json()["enabled"] is True
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = client.http.get("/api/v1/executions?workflow=every-second").json()["total"]
        if now > before:
            break
        time.sleep(0.1)
    # running again, and catchup "none" did not replay the ticks missed while disabled
    assert before < now <= before + 3
    assert (
        client.http.patch("/api/v1/orchestrations/nope", json={"enabled": False}).status_code == 404
    )
    bad = client.http.patch("/api/v1/orchestrations/every-second", json={"enabled": "maybe"})
    assert bad.status_code == 422
    client.http.patch("/api/v1/orchestrations/every-second", json={"enabled": False})


def test_workflow_definitions_in_yaml(client: Client) -> None:
    text = (
        "name: from-yaml\nsteps:\n  - {id: a, type: noop}\n  - {id: b, type: noop, depends_on: a}\n"
    )
    resp = client.http.post(
        "/api/v1/orchestrations", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["steps"] == ["a", "b"]
    broken = client.http.post(
        "/api/v1/orchestrations",
        content="name: x\nsteps: [\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert broken.status_code == 422 and "YAML" in broken.json()["error"]["message"]
    not_json = client.http.post(
        "/api/v1/orchestrations", content="{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422


def test_sources_naming_missing_files_are_refused(client: Client, tmp_path: Path) -> None:
    missing = client.http.post(
        "/api/v1/sources", json={"name": "ghost", "url": f"sqlite:///{tmp_path / 'no.db'}"}
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["message"] == f"SQLite file not found: {tmp_path / 'no.db'}"
    folder = client.http.post(
        "/api/v1/sources", json={"name": "lake", "url": (tmp_path / "nodir").as_uri()}
    )
    assert folder.status_code == 422 and "Folder not found" in folder.json()["error"]["message"]
    capped = client.http.patch("/api/v1/sources/shop", json={"options": {"max_concurrent": 2}})
    assert capped.status_code == 200 and capped.json()["options"] == {"max_concurrent": 2}
    bad = client.http.patch("/api/v1/sources/shop", json={"options": {"max_concurrent": 0}})
    assert bad.status_code == 422


def test_scan_report_warns_of_a_pattern_that_matches_nothing(
    client: Client, tmp_path: Path
) -> None:
    url = sqlite_source(tmp_path / "typo.db")
    body = {"name": "typo", "url": url, "include": "ordrs"}
    assert client.http.post("/api/v1/sources", json=body).status_code == 201
    scan = client.http.post("/api/v1/sources/typo/scans").json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = client.http.get(f"/api/v1/scans/{scan['id']}").json()
        if run["status"] not in ("pending", "running"):
            break
        time.sleep(0.1)
    (warning,) = run["report"]["warnings"]
    assert warning["target"] == "include pattern"
    assert warning["message"].startswith("include pattern 'ordrs' matched none of the")
    assert "main.orders" in warning["message"]


def _elapsed_run(client: Client, flow: dict[str, Any]) -> float:
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    started = time.monotonic()
    run = client.http.post(f"/api/v1/orchestrations/{flow['name']}/execute").json()
    assert client.wait(run["id"])["status"] == "completed"
    return time.monotonic() - started


def test_resources_and_a_sources_own_limit_are_respected(client: Client, tmp_path: Path) -> None:
    body = {"name": "capped", "url": sqlite_source(tmp_path / "capped.db")}
    body["options"] = {"max_concurrent": 1}
    assert client.http.post("/api/v1/sources", json=body).status_code == 201
    tasks = [{"key": str(i), "source": "capped"} for i in range(3)]
    per_source = {
        "name": "one-at-a-time",
        "steps": [{"id": "a", "type": "sleep", "config": {"seconds": 0.4, "tasks": tasks}}],
    }
    assert _elapsed_run(client, per_source) >= 1.2  # max_concurrent 1: one after another
    heavy = {
        "name": "heavy",
        "steps": [
            {
                "id": "a",
                "type": "sleep",
                "resources": {"memory_gb": 3},  # SOUNDING_RESOURCES holds 4
                "config": {"seconds": 0.4, "tasks": 3},
            }
        ],
    }
    assert _elapsed_run(client, heavy) >= 1.2
    light = {**heavy, "name": "light"}
    light["steps"] = [{**heavy["steps"][0], "resources": {"memory_gb": 1}}]
    assert _elapsed_run(client, light) < 1.1  # 3 x 1 of 4: side by side


def test_a_disabled_workflows_webhook_starts_nothing(client: Client) -> None:
    flow = {
        "name": "hooked",
        "triggers": [{"type": "webhook", "secret": "s3cret"}],
        "steps": [{"id": "a", "type": "noop"}],
    }
    assert client.http.post("/api/v1/orchestrations", json=flow).status_code == 201
    client.http.patch("/api/v1/orchestrations/hooked", json={"enabled": False})
    hook = "/api/v1/orchestrations/hooked/webhook"
    wrong = httpx.post(client.server.base + hook, headers={"X-Sounding-Secret": "nope"})
    assert wrong.status_code == 401
    paused = httpx.post(client.server.base + hook, headers={"X-Sounding-Secret": "s3cret"})
    assert paused.status_code == 409 and "disabled" in paused.json()["error"]["message"]
    assert client.http.get("/api/v1/executions?workflow=hooked").json()["total"] == 0
    client.http.patch("/api/v1/orchestrations/hooked", json={"enabled": True})
    started = httpx.post(client.server.base + hook, headers={"X-Sounding-Secret": "s3cret"})
    assert started.status_code == 202
