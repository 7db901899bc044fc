"""Workflows over HTTP; live events over SSE from a real server, and the WebSocket monitor."""

from __future__ import annotations

from tests.api.conftest import Api

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
