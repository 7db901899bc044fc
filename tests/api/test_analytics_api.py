"""Usage recorded through the API, /api/v1/analytics/catalog, and GET /metrics."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sounding.api.app import create_app
from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.services import scans
from tests.api.conftest import Api
from tests.api.test_resources import _scan

U = "urn:sounding:shop:main."


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_views_and_searches_through_the_api_show_in_analytics(api: Api) -> None:
    assert _scan(api)["status"] == "completed"
    assert api.call("GET", f"/api/v1/assets/{U}orders", role="viewer").status_code == 200
    assert api.call("GET", f"/api/v1/assets/{U}orders", role="steward").status_code == 200
    by_urn = api.call("GET", "/api/v1/assets/by-urn", role="viewer", params={"urn": U + "orders"})
    assert by_urn.status_code == 200
    found = api.call("GET", "/api/v1/search", role="viewer", params={"q": "customers"}).json()
    assert found["items"]
    hits = [h["id"] for h in found["items"] if h["type"] != "glossary_term"]
    resp = api.call("GET", "/api/v1/analytics/catalog", role="viewer", params={"days": 7})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    top = body["most_used"][0]
    assert (top["qualified_name"], top["views"]) == ("main.orders", 3)
    assert body["searches"]["total"] == 1
    assert body["searches"]["top"] == [{"query": "customers", "count": 1}]
    assert sum(t["search_hits"] for t in body["usage_trend"]) == len(hits)
    assert body["coverage"]["objects"] == 3
    assert body["coverage"]["with_quality_rules"] == {"count": 0, "percent": 0.0}
    assert len(body["quality_trend"]) == 7 and body["compliance_trend"]["open_total"] == 0
    used = api.call("GET", f"/api/v1/assets/{U}orders/usage", role="viewer").json()
    assert used["totals"]["view"] == 3 and used["popularity"] >= 3.0
    assert list(used) == ["asset", "days", "popularity", "totals", "daily"]  # the record's shape
    assert set(used["asset"]) == {"id", "urn", "name", "type"}
    assert set(used["daily"][0]) == {"day", "kind", "count", "users"}
    views = [d for d in used["daily"] if d["kind"] == "view"]
    assert [(d["count"], d["users"]) for d in views] == [(3, 2)]  # by viewer1 and steward1
    bad = api.call("GET", "/api/v1/analytics/catalog", role="viewer", params={"days": 0})
    assert bad.status_code == 422


def test_usage_ingest_needs_a_query_log(api: Api) -> None:
    resp = api.call("POST", "/api/v1/sources/shop/usage/ingest", role="steward")
    assert resp.status_code == 422  # the caller asked for what SQLite cannot give
    assert "keeps no query log" in resp.json()["error"]["message"]
    missing = api.call("POST", "/api/v1/sources/nope/usage/ingest", role="steward")
    assert missing.status_code == 404


def test_metrics_in_prometheus_format_without_a_token(api: Api) -> None:
    _scan(api)
    api.call("GET", f"/api/v1/assets/{U}orders", role="viewer")
    api.call("GET", "/api/v1/assets/999999", role="viewer")
    resp = api.client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    samples = _samples(resp.text)
    route = (("method", "GET"), ("route", "/api/v1/assets/{ref}"))
    ok = ("sounding_http_request_duration_seconds_count", (*route, ("status", "200")))
    missing = ("sounding_http_request_duration_seconds_count", (*route, ("status", "404")))
    assert samples[ok] == 1 and samples[missing] == 1
    assert samples[("sounding_assets", (("type", "table"),))] == 2
    assert samples[("sounding_assets", (("type", "view"),))] == 1
    assert samples[("sounding_scan_runs", (("status", "completed"),))] == 1
    assert samples[("sounding_store_up", ())] == 1
    assert samples[("sounding_usage_pending", ())] == 1
    assert ("sounding_search_queries_total", ()) in samples
    api.call("GET", "/api/v1/search", role="viewer", params={"q": "orders"})
    api.call("GET", "/api/v1/analytics/catalog", role="viewer")  # flushes
    again = _samples(api.client.get("/metrics").text)
    assert again[("sounding_search_queries_total", ())] == 1
    assert again[("sounding_usage_pending", ())] == 0


def test_each_app_has_its_own_registry(ctx: Any) -> None:
    first, second = create_app(ctx=ctx), create_app(ctx=ctx)  # no duplicate-metric error
    with TestClient(first) as a, TestClient(second) as b:
        a.get("/healthz")
        a.get("/healthz")
        b.get("/healthz")
        key = (
            "sounding_http_request_duration_seconds_count",
            (("method", "GET"), ("route", "/healthz"), ("status", "200")),
        )
        assert _samples(a.get("/metrics").text)[key] == 2
        assert _samples(b.get("/metrics").text)[key] == 1


def test_metrics_count_compliance_findings_and_quality_outcomes(api: Api) -> None:
    ctx: Any = api.app.state.ctx
    scans.run_scan(ctx, Principal("t", Role.ADMIN), "shop", options=ScanOptions(classify=True))
    for column, params in (("customer_id", None), ("amount", {"max": 200})):
        rule = {"asset": U + "orders", "kind": "range" if params else "not_null", "column": column}
        made = api.call(
            "POST", "/api/v1/quality/rules", role="steward", json=rule | {"params": params or {}}
        )
        assert made.status_code == 201, made.text
    run = api.call("POST", "/api/v1/quality/runs", role="steward", json={"source": "shop"})
    assert run.status_code == 201, run.text
    done = api.call("POST", "/api/v1/compliance/evaluations", role="steward", json={})
    assert done.status_code == 200, done.text
    first = api.call("GET", "/api/v1/compliance/findings", role="viewer").json()["items"][0]
    reason = {"justification": "Test data only, dropped next sprint"}
    accepted = api.call(
        "POST", f"/api/v1/compliance/findings/{first['id']}/accept", role="steward", json=reason
    )
    assert accepted.status_code == 200, accepted.text
    listed = api.call(
        "GET", "/api/v1/compliance/findings", role="viewer", params={"limit": 500}
    ).json()
    expected: dict[tuple[tuple[str, str], ...], float] = {}
    for f in listed["items"]:
        key = (("framework", f["framework"]), ("severity", f["severity"]), ("status", f["status"]))
        expected[key] = expected.get(key, 0) + 1
    assert expected and listed["total"] == len(listed["items"])  # the shop fails some
    samples = _samples(api.client.get("/metrics").text)
    got = {k: v for (name, k), v in samples.items() if name == "sounding_compliance_findings"}
    assert got == expected
    assert {dict(k)["status"] for k in got} == {"open", "accepted"}
    outcomes = {
        dict(k)["outcome"]: v
        for (name, k), v in samples.items()
        if name == "sounding_quality_rules"
    }
    assert outcomes == {"passed": 1, "failed": 1, "errored": 0, "not_run": 0}  # 300 > 200
