"""The governance and orchestration areas declare what they answer: every operation of
glossary, quality, compliance, orchestration (workflows, executions, pools) and insights has a
named response schema in /openapi.json, and a real server's answers keep to it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from sounding.testing.server import ServerProcess
from tests.api.openapi_helpers import operations, success
from tests.factories import sqlite_source

TAGS = {"glossary", "quality", "compliance", "orchestration", "insights"}
"""The areas this module checks (the routes of api/routes/{glossary,quality,compliance,
workflows,pools,insights}.py)."""

NO_JSON_SCHEMA = {
    # 204 No Content
    ("delete", "/api/v1/glossary/terms/{ref}"),
    ("delete", "/api/v1/glossary/terms/{ref}/assets"),
    ("delete", "/api/v1/quality/rules/{rule_id}"),
    ("delete", "/api/v1/compliance/frameworks/{framework_id}"),
    ("delete", "/api/v1/orchestrations/{name}"),
    ("delete", "/api/v1/pools/{name}"),
    # files: CSV, HTML or the JSON document the import reads, chosen by ?format=
    ("get", "/api/v1/glossary/terms/export"),
    ("get", "/api/v1/quality/report"),
    ("get", "/api/v1/compliance/reports/{framework_id}"),
    # server-sent events
    ("get", "/api/v1/executions/{execution_id}/events"),
}
"""Operations that answer no JSON object: no body, a file format, or a stream."""

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    return operations(doc, TAGS)


def test_every_operation_declares_a_named_response_schema(openapi: dict[str, Any]) -> None:
    undeclared, tags = [], set()
    for method, path, op in _operations(openapi):
        tags |= set(op["tags"])
        if (method, path) in NO_JSON_SCHEMA:
            continue
        _status, answer = success(op)
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        component = openapi["components"]["schemas"].get(name, {})
        if not component.get("properties"):  # no schema, or a bare object: says nothing
            undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
    assert tags == TAGS  # a renamed tag does not silently leave its area unchecked


def test_operations_without_a_json_schema_are_bodiless_files_or_streams(
    openapi: dict[str, Any],
) -> None:
    ours = {(m, p): op for m, p, op in _operations(openapi)}
    assert set(ours) >= NO_JSON_SCHEMA  # the list names only operations that exist
    for key in NO_JSON_SCHEMA:
        # one answer, or for the event stream a stream and a 204 (ended, nothing after `after`)
        answers = {s: r for s, r in ours[key]["responses"].items() if s.startswith("2")}
        assert len(answers) == 1 or set(answers) == {"200", "204"}, (key, sorted(answers))
        for status, answer in answers.items():
            content = answer.get("content", {})
            if status == "204":
                assert content == {}, f"{key}: a 204 answer declares a body"
            else:  # a file or stream declares its media types
                assert set(content) - {"application/json"}, f"{key}: only JSON declared"


def test_no_schema_name_leaks_a_module_path(openapi: dict[str, Any]) -> None:
    names = list(openapi["components"]["schemas"])
    leaked = [n for n in names if "__" in n or n.startswith("sounding")]
    assert leaked == []
    assert {"GlossaryTermPublic", "QualityRulePublic", "FindingPublic", "ExecutionPublic"} <= set(
        names
    )
    assert {"WorkflowPublic", "PoolPublic", "GlossarySuggestionsGenerate"} <= set(names)


# --- a real server's answers keep to the declared schemas ---------------------------------


class Live:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.api = f"{server.base}/api/v1"
        self.doc: dict[str, Any] = httpx.get(f"{server.base}/openapi.json").json()

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.server.headers, **kw.pop("headers", {})}
        return httpx.request(method, f"{self.api}{path}", headers=headers, timeout=30, **kw)

    def check(self, method: str, path: str, template: str | None = None, **kw: Any) -> Any:
        """Call, then validate the answer against the operation's declared schema."""
        answer = self.call(method, path, **kw)
        assert answer.status_code < 300, answer.text
        op = self.doc["paths"][f"/api/v1{template or path}"][method.lower()]
        _status, declared = success(op)
        ref = declared["content"]["application/json"]["schema"]["$ref"]
        schema = {"$ref": ref, "components": self.doc["components"]}
        body = answer.json()
        jsonschema.validate(body, schema)
        return body


def _wait(live: Live, path: str, field: str = "status") -> dict[str, Any]:
    for _ in range(300):
        got: dict[str, Any] = live.call("GET", path).json()
        if got[field] not in ("pending", "running"):
            return got
        time.sleep(0.05)
    raise AssertionError(f"{path} still running")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("governance-schemas")
    server = ServerProcess(tmp / "home")
    server.start()
    try:
        live = Live(server)
        url = sqlite_source(tmp / "shop.db")
        assert live.call("POST", "/sources", json={"name": "shop", "url": url}).status_code == 201
        scan = live.call("POST", "/scans", json={"source": "shop", "profile": True}).json()
        _wait(live, f"/scans/{scan['id']}")
        yield live
    finally:
        server.stop()


def _timestamps_are_utc_z(value: Any, where: str) -> int:
    """How many timestamp fields (``*_at``, ``first_seen``, ...) ``value`` holds; each must
    be UTC with Z."""
    found = 0
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith("_at") or key.endswith("_seen")):
                assert UTC_Z.match(item), f"{where}: {key}={item!r}"
                found += 1
            found += _timestamps_are_utc_z(item, where)
    elif isinstance(value, list):
        found += sum(_timestamps_are_utc_z(item, where) for item in value)
    return found


@pytest.mark.slow  # shares one server and scan (~10 s to start on a loaded machine)
def test_glossary_answers_keep_to_their_schemas(live: Live) -> None:
    base = "/glossary/terms"
    term = live.check("POST", base, json={"path": "/Sales", "definition": "Selling"})
    assert term["children"] == [] and term["status"] == "draft"
    child = live.check("POST", base, json={"name": "Order", "parent": "/Sales"})
    ref = str(term["id"])
    detail = live.check("GET", f"{base}/{ref}", f"{base}/{{ref}}")
    assert detail["children"] == ["/Sales/Order"]
    listed = live.check("GET", base)
    assert "children" not in listed["items"][0]  # list items stay as they were
    live.check("GET", f"{base}/by-path", params={"path": "/Sales/Order"})
    tree = live.check("GET", f"{base}/tree")
    assert tree["items"][0]["children"][0]["id"] == child["id"]
    etag = {"If-Match": live.call("GET", f"{base}/{ref}").headers["etag"]}
    approved = live.check("POST", f"{base}/{ref}/approve", f"{base}/{{ref}}/approve", headers=etag)
    assert approved["approved_by"] and _timestamps_are_utc_z(approved, "approve") == 3
    live.check("POST", f"{base}/import", json={"format": "csv", "content": "path\n/Sales/Lead\n"})
    live.check("POST", f"{base}/suggestions/generate", json={"threshold": 0.5})
    live.check("GET", f"{base}/suggestions")
    table = live.call("GET", "/assets?type=table").json()["items"][0]
    link = live.check(
        "POST", f"{base}/{ref}/assets", f"{base}/{{ref}}/assets", json={"asset": table["urn"]}
    )
    assert link["status"] == "accepted"
    links = live.check("GET", f"{base}/{ref}/assets", f"{base}/{{ref}}/assets")
    assert links["items"][0]["urn"] == table["urn"]


@pytest.mark.slow  # shares one server and scan (~10 s to start on a loaded machine)
def test_quality_answers_keep_to_their_schemas(live: Live) -> None:
    table = live.call("GET", "/assets?type=table").json()["items"][0]
    column = live.call("GET", f"/assets/{table['id']}").json()["columns"][0]["name"]
    body = {"asset": table["urn"], "kind": "not_null", "column": column}
    rule = live.check("POST", "/quality/rules", json=body)
    path, template = f"/quality/rules/{rule['id']}", "/quality/rules/{rule_id}"
    fetched = live.check("GET", path, template)
    assert fetched["column"] == column and fetched["params"] == {}
    etag = {"If-Match": live.call("GET", path).headers["etag"]}
    patched = live.check("PATCH", path, template, json={"severity": "warning"}, headers=etag)
    assert patched["severity"] == "warning"
    run = live.check("POST", "/quality/runs", json={"source": "shop"})
    assert run["results"][0]["passed"] in (True, False)
    live.check("GET", f"/quality/runs/{run['id']}", "/quality/runs/{run_id}")
    live.check("GET", "/quality/runs")
    results = live.check("GET", "/quality/results", params={"asset": table["urn"]})
    assert _timestamps_are_utc_z(results, "results") >= 1
    live.check("GET", f"{path}/results", f"{template}/results")
    live.check("GET", "/quality/rules")
    scores = live.check("GET", "/quality/scores", params={"source": "shop"})
    assert scores["tables"][0]["schema"]  # the field keeps its name (not schema_)
    live.check("GET", "/quality/scores/trend", params={"source": "shop"})
    live.check("POST", "/quality/suggestions", json={"source": "shop"})
    live.check("GET", "/quality/suggestions")
    name = table["qualified_name"]
    rule_file = f"source: shop\ntables:\n  {name}:\n    - {{kind: row_count, min: 1}}\n"
    applied = live.check("POST", "/quality/rules/apply", json={"yaml": rule_file})
    assert (applied["source"], applied["created"]) == ("shop", 1)


@pytest.mark.slow  # shares one server and scan (~10 s to start on a loaded machine)
def test_compliance_answers_keep_to_their_schemas(live: Live) -> None:
    frameworks = live.check("GET", "/compliance/frameworks")
    fw = frameworks["items"][0]["id"]
    detail = live.check(
        "GET", f"/compliance/frameworks/{fw}", "/compliance/frameworks/{framework_id}"
    )
    assert detail["requirements"][0]["applies_to"]["scope"]
    evaluated = live.check("POST", "/compliance/evaluations", json={"source": "shop"})
    assert isinstance(evaluated["warnings"], list)
    live.check("GET", "/compliance/evaluations")
    findings = live.check("GET", "/compliance/findings")
    if findings["items"]:
        fid = findings["items"][0]["id"]
        path, template = f"/compliance/findings/{fid}", "/compliance/findings/{finding_id}"
        live.check("GET", path, template)
        etag = {"If-Match": live.call("GET", path).headers["etag"]}
        resolved = live.check(
            "POST", f"{path}/resolve", f"{template}/resolve", json={"note": "ok"}, headers=etag
        )
        assert resolved["status"] == "resolved" and resolved["resolved_at"].endswith("Z")
        history = live.check("GET", f"{path}/history", f"{template}/history")
        assert [e["event"] for e in history["items"]][-1] == "resolved"


@pytest.mark.slow  # shares one server and scan (~10 s to start on a loaded machine)
def test_orchestration_and_insight_answers_keep_to_their_schemas(live: Live) -> None:
    doc = {"name": "nap", "steps": [{"id": "a", "type": "sleep", "config": {"seconds": 0}}]}
    applied = live.check("POST", "/orchestrations", json=doc)
    assert applied["changed"] is True and applied["steps"] == ["a"]
    live.check("GET", "/orchestrations")
    live.check("GET", "/orchestrations/nap", "/orchestrations/{name}")
    off = live.check(
        "PATCH", "/orchestrations/nap", "/orchestrations/{name}", json={"enabled": False}
    )
    assert off["enabled"] is False
    started = live.check("POST", "/orchestrations/nap/execute", "/orchestrations/{name}/execute")
    done = _wait(live, f"/executions/{started['id']}")
    assert done["status"] == "completed"
    execution = live.check("GET", f"/executions/{started['id']}", "/executions/{execution_id}")
    assert execution["steps"][0]["id"] == "a" and execution["steps"][0]["errors"] == []
    listed = live.check("GET", "/executions")
    assert listed["items"][0]["steps"] == ["a"]  # list items carry the step ids
    pool = live.check("POST", "/pools", json={"name": "db", "slots": 2})
    assert pool["slots"] == 2
    live.check("GET", "/pools")
    live.check("GET", "/pools/db", "/pools/{name}")
    assert live.check("PATCH", "/pools/db", "/pools/{name}", json={"slots": 3})["slots"] == 3
    templates = live.check("GET", "/templates")
    name = templates["items"][0]["name"]
    live.check("GET", f"/templates/{name}", "/templates/{name}")
    busy = {
        "name": "busy",
        "schedule": {"cron": "0 0 1 1 *"},
        "steps": [
            {
                "id": "a",
                "type": "sleep",
                "config": {"seconds": 1.5, "tasks": [{"key": "t", "source": "shop"}]},
            }
        ],
    }
    live.check("POST", "/orchestrations", json=busy)
    running = live.check("POST", "/orchestrations/busy/execute", "/orchestrations/{name}/execute")
    while live.call("GET", f"/executions/{running['id']}").json()["status"] == "pending":
        time.sleep(0.05)
    health = live.check("GET", "/system/health")  # while it runs: loads, ticks, executor
    assert health["store"]["reachable"] is True and health["at"].endswith("Z")
    assert [t["workflow"] for t in health["scheduler"]["next"]] == ["busy"]
    assert running["id"] in [e["id"] for e in health["executions"]]
    forecasts = live.check("GET", "/insights/forecasts")
    assert running["id"] in [r["execution_id"] for r in forecasts["running"]]
    _wait(live, f"/executions/{running['id']}")
    analytics = live.check("GET", "/analytics/orchestration")
    # two workflow runs here, and the module's scan of `shop` (a scan is an execution too)
    assert analytics["overall"]["executions"] == 3 and analytics["sources"][0]["source"] == "shop"
    live.check("GET", "/insights/anomalies")
    live.check("GET", "/insights/recommendations")
