"""Templates, system health, analytics and insights over HTTP, through the real app."""

from __future__ import annotations

from typing import Any

import pytest

from sounding.api.routes import insights as insights_routes
from tests.api.conftest import Api

# (method, path, least role): the routes of sounding.api.routes.insights
ROUTES = [
    ("GET", "/api/v1/templates", "viewer"),
    ("GET", "/api/v1/templates/custom", "viewer"),
    ("POST", "/api/v1/templates/custom/instantiate", "steward"),
    ("GET", "/api/v1/system/health", "viewer"),
    ("GET", "/api/v1/analytics/orchestration", "viewer"),
    ("GET", "/api/v1/insights/forecasts", "viewer"),
    ("GET", "/api/v1/insights/anomalies", "viewer"),
    ("GET", "/api/v1/insights/recommendations", "viewer"),
    ("POST", "/api/v1/insights/recommendations/nope/apply", "steward"),
    ("POST", "/api/v1/insights/recommendations/nope/rollback", "steward"),
]


@pytest.fixture
def app(api: Api) -> Api:
    """The app with the insights routes (included here until app.py lists them)."""
    paths = {getattr(r, "path", None) for r in api.app.routes}
    if "/api/v1/system/health" not in paths:
        api.app.include_router(insights_routes.router)
    return api


@pytest.mark.parametrize(("method", "path", "least"), ROUTES)
def test_roles(app: Api, method: str, path: str, least: str) -> None:
    assert app.call(method, path, role=None).status_code == 401
    for role in ("viewer", "steward", "admin"):
        resp = app.call(method, path, role=role)
        allowed = least == "viewer" or role != "viewer"
        if allowed:
            assert resp.status_code not in (401, 403), (role, resp.text)
        else:
            assert resp.status_code == 403, (role, resp.text)


def test_instantiate_a_template_and_run_it(app: Api) -> None:
    listed = app.call("GET", "/api/v1/templates", role="viewer").json()
    assert listed["total"] == 5
    summary_keys = ["name", "category", "title", "description", "required", "defaults"]
    assert list(listed["items"][0]) == [*summary_keys, "parameters"]  # the record's shape
    assert all(isinstance(name, str) for name in listed["items"][0]["parameters"])
    shown = app.call("GET", "/api/v1/templates/data-discovery", role="viewer").json()
    assert shown["parameters"]["required"] == ["source"] and "workflow" in shown
    assert list(shown) == [*summary_keys, "parameters", "workflow"]
    bad = app.call(
        "POST",
        "/api/v1/templates/data-discovery/instantiate",
        role="steward",
        json={"params": {"per_source": "many"}},
    )
    assert bad.status_code == 422
    assert {e["loc"] for e in bad.json()["error"]["details"]["errors"]} == {
        "params",
        "params.per_source",
    }
    made = app.call(
        "POST",
        "/api/v1/templates/data-discovery/instantiate",
        role="steward",
        json={"params": {"source": "shop", "profile": False}},
    )
    assert made.status_code == 201, made.text
    assert made.json()["workflow"]["name"] == "discovery-shop"
    run = app.call("POST", "/api/v1/orchestrations/discovery-shop/execute", role="steward").json()
    done = wait(app, run["id"])
    assert done["status"] == "completed"
    assert {s["id"]: s["status"] for s in done["steps"]} == {
        "discover": "completed",
        "profile": "skipped",
        "lineage": "completed",
    }
    assert app.call("GET", "/api/v1/templates/nope", role="viewer").status_code == 404


def wait(app: Api, execution_id: str) -> Any:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        detail = app.call("GET", f"/api/v1/executions/{execution_id}", role="viewer").json()
        if detail["status"] in ("completed", "failed", "cancelled"):
            return detail
        time.sleep(0.02)
    raise AssertionError(f"execution {execution_id} did not end")


# Tasks long enough that a loaded machine's scheduling delay is small beside them: the
# recommendation needs stable latency (p90 at most twice p50), and with 0.1 s tasks a CI run
# with the other worker busy once stretched enough of them to withhold it.
SPREAD = {
    "name": "spread",
    "limits": {"per_source": 2},
    "steps": [
        {
            "id": "read",
            "type": "sleep",
            "config": {
                "seconds": 0.3,
                "tasks": [{"key": f"t{i}", "source": "shop"} for i in range(6)],
            },
        }
    ],
}


def test_history_feeds_forecasts_analytics_and_recommendations(app: Api) -> None:
    warm = {"name": "warm", "steps": [{"id": "a", "type": "noop"}]}
    app.call("POST", "/api/v1/orchestrations", role="steward", json=warm)
    wait(app, app.call("POST", "/api/v1/orchestrations/warm/execute", role="steward").json()["id"])
    assert (
        app.call("POST", "/api/v1/orchestrations", role="steward", json=SPREAD).status_code == 201
    )
    for _ in range(3):
        run = app.call("POST", "/api/v1/orchestrations/spread/execute", role="steward").json()
        assert wait(app, run["id"])["status"] == "completed"

    health = app.call("GET", "/api/v1/system/health", role="viewer").json()
    assert health["status"] == "ok", health["problems"]
    assert health["scheduler"]["running"] and health["store"]["reachable"]
    assert health["queue"] == {"queued": 0, "retry_wait": 0} and health["running_tasks"] == 0

    stats = app.call("GET", "/api/v1/analytics/orchestration?days=2", role="viewer").json()
    assert stats["overall"]["executions"] == 4 and stats["overall"]["success_rate"] == 1.0
    assert [s["source"] for s in stats["sources"]] == ["shop"]
    assert len(stats["trend"]) == 2
    assert (
        app.call("GET", "/api/v1/analytics/orchestration?days=0", role="viewer").status_code == 422
    )

    f = app.call("GET", "/api/v1/insights/forecasts?workflow=spread", role="viewer").json()
    (item,) = f["items"]
    assert item["execution"]["runs"] == 3 and item["execution"]["loo_mape"] is not None
    anomalies = app.call("GET", "/api/v1/insights/anomalies", role="viewer").json()
    assert anomalies["k"] == 5.0 and anomalies["items"] == []

    recs = app.call("GET", "/api/v1/insights/recommendations", role="viewer").json()
    (rec,) = [r for r in recs["items"] if r["workflow"] == "spread"]
    assert rec["kind"] == "raise_source_concurrency"
    url = f"/api/v1/insights/recommendations/{rec['id']}"
    applied = app.call("POST", f"{url}/apply", role="steward")
    assert applied.status_code == 200, applied.text
    spec = app.call("GET", "/api/v1/orchestrations/spread", role="viewer").json()["spec"]
    assert spec["limits"] == {"per_source": 4}
    assert app.call("POST", f"{url}/rollback", role="steward").json()["status"] == "rolled_back"
    spec = app.call("GET", "/api/v1/orchestrations/spread", role="viewer").json()["spec"]
    assert spec["limits"] == {"per_source": 2}
    assert app.call("POST", f"{url}/rollback", role="steward").status_code == 404
