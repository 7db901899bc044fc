"""Workflows over HTTP; live events over SSE from a real server, and the WebSocket monitor."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api
from tests.factories import sqlite_source

FLOW = {
    "name": "shop-scan",
    "strategy": "pipeline",
    "steps": [
        {"id": "discover", "type": "discover", "config": {"source": "shop"}},
        {
            "id": "wait",
            "type": "sleep",
            "depends_on": "discover",
            "config": {"seconds": 0.05, "tasks": 4},
        },
    ],
}


def test_bad_workflows_are_422_naming_paths(api: Api) -> None:
    resp = api.call(
        "POST",
        "/api/v1/orchestrations",
        role="steward",
        json={
            "name": "bad",
            "steps": [
                {"id": "a", "type": "discover", "depends_on": "zzz"},
                {"id": "b", "type": "teleport"},
            ],
            "schedule": {"cron": "61 * * * *"},
        },
    )
    assert resp.status_code == 422, resp.text
    locs = {e["loc"] for e in resp.json()["error"]["details"]["errors"]}
    assert {"steps[0].depends_on[0]", "steps[1].type"} <= locs
    assert any(loc.startswith("schedule") for loc in locs)


def test_apply_execute_and_watch_over_websocket(api: Api) -> None:
    created = api.call("POST", "/api/v1/orchestrations", role="steward", json=FLOW)
    assert created.status_code == 201 and created.json()["version"] == 1
    run = api.call("POST", "/api/v1/orchestrations/shop-scan/execute", role="steward").json()
    token = api.tokens["viewer"]
    with api.client.websocket_connect(
        f"/api/v1/executions/{run['id']}/monitor?token={token}"
    ) as ws:
        events = []
        while True:
            msg = ws.receive_json()
            events.append(msg)
            if msg["kind"] == "execution_status" and msg["status"] in ("completed", "failed"):
                break
    assert events[-1]["status"] == "completed"
    assert any(e["kind"] == "step_status" and e["step_id"] == "wait" for e in events)
    detail = api.call("GET", f"/api/v1/executions/{run['id']}", role="viewer").json()
    assert {s["id"]: s["tasks_done"] for s in detail["steps"]} == {"discover": 1, "wait": 4}
    assert (
        api.call("GET", "/api/v1/executions?workflow=shop-scan", role="viewer").json()["total"] == 1
    )


@pytest.mark.slow
def test_server_sent_events_from_a_real_server(
    live_server: tuple[str, str, Path], tmp_path: Path
) -> None:
    base, token, _ = live_server
    auth = {"Authorization": f"Bearer {token}"}
    httpx.post(
        f"{base}/api/v1/sources",
        headers=auth,
        json={"name": "shop", "url": sqlite_source(tmp_path / "shop.db")},
    )
    httpx.post(f"{base}/api/v1/orchestrations", headers=auth, json=FLOW)
    run = httpx.post(f"{base}/api/v1/orchestrations/shop-scan/execute", headers=auth).json()
    seen: list[dict[str, Any]] = []
    started = time.monotonic()
    with httpx.stream(
        "GET", f"{base}/api/v1/executions/{run['id']}/events", headers=auth, timeout=30
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
    assert time.monotonic() - started < 30
    assert seen[-1]["kind"] == "execution_status" and seen[-1]["status"] == "completed"
    progress = [e for e in seen if e["kind"] == "progress"]
    assert progress and {"done", "total", "percent"} <= set(progress[-1]["data"])
    missing = httpx.get(f"{base}/api/v1/executions/nope/events", headers=auth)
    assert missing.status_code == 404
