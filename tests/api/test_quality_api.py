"""/api/v1/quality: rules, runs, results, scores, suggestions and reports over HTTP."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sounding.domain.auth import Principal, Role
from sounding.services import scans, sources
from tests import quality_sources as qs
from tests.api.conftest import Api


def _planted(api: Api, ctx: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'planted.db'}"
    qs.build(url)
    operator = Principal("tester", Role.ADMIN)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src")


def test_rules_runs_scores_and_reports(api: Api, ctx: Any, tmp_path: Path) -> None:
    _planted(api, ctx, tmp_path)
    table = "urn:sounding:src:main.customers"
    bad = api.call(
        "POST",
        "/api/v1/quality/rules",
        role="steward",
        json={"asset": table, "kind": "range", "column": "score", "params": {"min": "x"}},
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "params.min"
    created = api.call(
        "POST",
        "/api/v1/quality/rules",
        role="steward",
        json={"asset": table, "kind": "not_null", "column": "phone"},
    )
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    applied = api.call(
        "POST",
        "/api/v1/quality/rules/apply",
        role="steward",
        json={
            "yaml": qs.rule_file("src", "main.customers", "main.orders").replace(
                "    - {kind: not_null, column: phone}\n", ""
            )
        },
    )
    assert applied.status_code == 200 and applied.json()["created"] == 10, applied.text
    assert (
        api.call("POST", "/api/v1/quality/runs", role="viewer", json={"source": "src"}).status_code
        == 403
    )
    run = api.call("POST", "/api/v1/quality/runs", role="steward", json={"source": "src"})
    assert run.status_code == 201, run.text
    failing = {r["rule"]: r["failing_count"] for r in run.json()["results"] if r["passed"] is False}
    assert failing == qs.EXPECTED
    got = api.call("GET", f"/api/v1/quality/runs/{run.json()['id']}", role="viewer").json()
    assert got["rules_failed"] == len(qs.EXPECTED)
    history = api.call("GET", f"/api/v1/quality/rules/{rule_id}/results", role="viewer").json()
    assert history["total"] == 1 and history["items"][0]["failing_count"] == 6
    scores = api.call("GET", "/api/v1/quality/scores?source=src", role="viewer").json()
    assert 0 < scores["scores"]["overall"] < 1 and scores["tables_scored"] == 2
    # the typed records keep the JSON's shape: every key, "schema" (not "schema_") included
    assert list(scores) == [
        "scope",
        "tables_in_scope",
        "tables_scored",
        "scores",
        "tables",
        "schemas",
        "sources",
        "domains",
    ]
    assert scores["scope"] == {"source": "src"} and scores["schemas"][0]["name"] == "src:main"
    assert set(scores["tables"][0]) == {
        "urn",
        "qualified_name",
        "source",
        "schema",
        "domain",
        "computed_at",
        "scores",
    }
    trend = api.call("GET", "/api/v1/quality/scores/trend?source=src&days=2", role="viewer")
    assert trend.json()["days"] == 2 and list(trend.json()["points"][-1]) == [
        "date",
        "score",
        "tables",
    ]

    as_json = api.call("GET", "/api/v1/quality/report?source=src&format=json", role="viewer")
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["summary"]["failing_rules"] == len(qs.EXPECTED)
    as_csv = api.call("GET", "/api/v1/quality/report?source=src&format=csv", role="viewer")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["rule"]: r["failing_count"] for r in rows if r["passed"] == "false"} == {
        k: str(v) for k, v in qs.EXPECTED.items()
    }
    page = api.call("GET", "/api/v1/quality/report?asset=" + table + "&format=html", role="viewer")
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "not_null(phone)" in page.text
    assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    wrong = api.call("GET", "/api/v1/quality/report?source=src&format=pdf", role="viewer")
    assert wrong.status_code == 422
    assert "'json', 'csv' or 'html'" in wrong.json()["error"]["message"]

    assert api.call("DELETE", f"/api/v1/quality/rules/{rule_id}", role="steward").status_code == 204
    assert api.call("GET", f"/api/v1/quality/rules/{rule_id}", role="viewer").status_code == 404


def test_suggestions_over_http(api: Api, ctx: Any, tmp_path: Path) -> None:
    from sounding.domain.scans import ScanOptions

    url = f"sqlite:///{tmp_path / 'planted.db'}"
    qs.build(url)
    operator = Principal("tester", Role.ADMIN)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src", options=ScanOptions(profile=True))
    made = api.call("POST", "/api/v1/quality/suggestions", role="steward", json={"source": "src"})
    assert made.status_code == 200 and made.json()["suggested"] > 0
    listed = api.call("GET", "/api/v1/quality/suggestions?source=src", role="viewer").json()
    assert listed["total"] == made.json()["suggested"]
    first = listed["items"][0]["id"]
    accepted = api.call("POST", f"/api/v1/quality/suggestions/{first}/accept", role="steward")
    assert accepted.json()["status"] == "active"
    after = api.call("GET", "/api/v1/quality/suggestions?source=src", role="viewer").json()
    assert after["total"] == listed["total"] - 1
    patched = api.call(
        "PATCH", f"/api/v1/quality/rules/{first}", role="steward", json={"severity": "warning"}
    )
    assert patched.json()["severity"] == "warning"


def test_deleting_a_failing_rule_rescores_scores_and_search_at_once(
    api: Api, ctx: Any, tmp_path: Path
) -> None:
    scans.run_scan(ctx, Principal("tester", Role.ADMIN), "shop")  # the api fixture's source
    orders = "urn:sounding:shop:main.orders"
    ids = [
        api.call(
            "POST", "/api/v1/quality/rules", role="steward", json={"asset": orders, **r}
        ).json()["id"]
        for r in (
            {"kind": "not_null", "column": "customer_id"},
            {"kind": "range", "column": "amount", "params": {"max": 200}},  # 1 of 3 fails
        )
    ]
    run = api.call("POST", "/api/v1/quality/runs", role="steward", json={"source": "shop"})
    assert run.status_code == 201, run.text

    def overall() -> Any:
        got = api.call("GET", "/api/v1/quality/scores", role="viewer", params={"asset": orders})
        return got.json()["scores"].get("overall")

    def good_tables() -> list[str]:
        params = {"q": "orders", "quality_min": 0.9, "type": "table"}
        found = api.call("GET", "/api/v1/search", role="viewer", params=params).json()
        return [h["name"] for h in found["items"]]

    assert overall() == 0.833333 and good_tables() == []
    deleted = api.call("DELETE", f"/api/v1/quality/rules/{ids[1]}", role="steward")
    assert deleted.status_code == 204
    assert overall() == 1.0 and good_tables() == ["orders"]
    rejected = api.call(
        "POST", f"/api/v1/quality/suggestions/{ids[0]}/reject", role="steward"
    )  # the last active rule: no score left
    assert rejected.status_code == 200, rejected.text
    assert overall() is None and good_tables() == []
