"""Every operation declares what it answers: a named response schema in /openapi.json, and
the answers of a real server keep to it.

The areas enforced so far are the tags in ``ENFORCED_TAGS``; the other areas join as their
schemas land, until the set is every tag of the document.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from sounding.api.schemas import QueryUsageIngested
from sounding.features.usage import service as usage
from sounding.services import scans, sources
from sounding.testing.server import ServerProcess
from tests.api.openapi_helpers import operations, success
from tests.factories import sqlite_source

ENFORCED_TAGS = {
    "access",
    "alerts",
    "accounts",
    "analytics",
    "assets",
    "catalog",
    "classification",
    "custom-properties",
    "collections",
    "data-products",
    "delivery",
    "domains",
    "lineage",
    "scans",
    "search",
    "sources",
    "system",
    "tag-groups",
}
"""Tags whose every operation must declare a response schema (extend as areas get theirs)."""

NO_JSON_BODY = {
    ("delete", "/api/v1/sources/{name}"),
    ("delete", "/api/v1/lineage/edges/{edge_id}"),
    ("delete", "/api/v1/scan-rule-sets/{name}"),
    ("delete", "/api/v1/tokens/{token_id}"),
    ("delete", "/api/v1/domains/{ref}"),
    ("delete", "/api/v1/data-products/{ref}"),
    ("delete", "/api/v1/tag-groups/{name}"),
    ("delete", "/api/v1/custom-properties/{name}"),
    ("delete", "/api/v1/collections/{collection_id}"),
    ("delete", "/api/v1/channels/{name}"),
    ("delete", "/api/v1/subscriptions/{subscription_id}"),
    ("get", "/metrics"),
    ("get", "/api/v1/catalog/export"),  # JSON Lines or CSV
}
"""Operations that answer no JSON: 204 No Content, or another media type (Prometheus text)."""

PENDING_CLASHES: set[str] = set()
"""Class names still defined twice (glossary and quality); renamed with their areas' schemas,
then this set is emptied."""

MANGLED = re.compile(r"^[a-z_]+(__[A-Za-z0-9_]+)+$")  # FastAPI's name for a clashing class


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    return operations(doc, ENFORCED_TAGS)


def _model(doc: dict[str, Any], method: str, path: str) -> str:
    """The component name of the JSON body an operation answers with."""
    _status, answer = success(doc["paths"][path][method])
    ref: str = answer["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def test_no_two_schemas_share_a_name(openapi: dict[str, Any]) -> None:
    names = list(openapi["components"]["schemas"])
    clashing = {name.rsplit("__", 1)[1] for name in names if MANGLED.match(name)}
    assert clashing <= PENDING_CLASHES, f"classes defined twice under one name: {clashing}"
    assert {"AssetPublic", "LineageGraphPublic", "ScanPublic", "UserPublic"} <= set(names)


def test_every_enforced_operation_declares_its_answer(openapi: dict[str, Any]) -> None:
    undeclared, tags = [], set()
    for method, path, op in _operations(openapi):
        status, answer = success(op)
        if (method, path) in NO_JSON_BODY:
            assert status == "204" or "application/json" not in answer.get("content", {}), (
                f"{method.upper()} {path} answers JSON: give it a response schema"
            )
            continue
        tags |= set(op["tags"])
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        component = openapi["components"]["schemas"].get(name, {})
        if not ref or not component.get("properties"):  # a bare object says nothing
            undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
    assert tags >= ENFORCED_TAGS  # a renamed tag does not silently leave its area unchecked


def test_no_json_body_lists_only_existing_operations(openapi: dict[str, Any]) -> None:
    listed = {(m, p) for m, p, _ in _operations(openapi)}
    assert listed >= NO_JSON_BODY


def test_a_204_operation_has_no_body(openapi: dict[str, Any]) -> None:
    _status, answer = success(openapi["paths"]["/api/v1/sources/{name}"]["delete"])
    assert "content" not in answer


# --- the answers keep to the declared schemas ---------------------------------------------


class Live:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.api = f"{server.base}/api/v1"
        self.doc: dict[str, Any] = httpx.get(f"{server.base}/openapi.json").json()

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.api}{path}", headers=self.server.headers, **kw)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("schemas")
    server = ServerProcess(tmp / "home")
    server.start()
    try:
        live = Live(server)
        url = sqlite_source(tmp / "shop.db")
        assert live.call("POST", "/sources", json={"name": "shop", "url": url}).status_code == 201
        body = {"source": "shop", "profile": True, "classify": True}
        scan = live.call("POST", "/scans", json=body).json()
        for _ in range(200):
            if live.call("GET", f"/scans/{scan['id']}").json()["status"] not in (
                "pending",
                "running",
            ):
                break
            time.sleep(0.1)
        yield live
    finally:
        server.stop()


def _check(live: Live, method: str, template: str, answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code < 300, answer.text
    name = _model(live.doc, method, template)
    schema = {"$ref": f"#/components/schemas/{name}", "components": live.doc["components"]}
    body: dict[str, Any] = answer.json()
    jsonschema.validate(body, schema)
    return body


def test_catalog_answers_keep_to_their_schemas(live: Live) -> None:
    tables = _check(live, "get", "/api/v1/assets", live.call("GET", "/assets?type=table"))
    table = tables["items"][0]
    # fields of another asset type are left out, not sent as null
    assert "row_count" in table and "data_type" not in table
    ref = str(table["id"])
    detail = _check(live, "get", "/api/v1/assets/{ref}", live.call("GET", f"/assets/{ref}"))
    column = detail["columns"][0]
    assert "data_type" in column and "row_count" not in column
    by_urn = live.call("GET", "/assets/by-urn", params={"urn": table["urn"]})
    _check(live, "get", "/api/v1/assets/by-urn", by_urn)
    patched = live.call("PATCH", f"/assets/{ref}", json={"add_tags": ["gold"]})
    assert _check(live, "patch", "/api/v1/assets/{ref}", patched)["tags"] == ["gold"]
    for path, template in [
        (f"/assets/{ref}/lineage", "/api/v1/assets/{ref}/lineage"),
        (f"/assets/{ref}/impact", "/api/v1/assets/{ref}/impact"),
        (f"/assets/{ref}/profile", "/api/v1/assets/{ref}/profile"),
        (f"/assets/{ref}/profile/history", "/api/v1/assets/{ref}/profile/history"),
        (f"/assets/{ref}/classifications", "/api/v1/assets/{ref}/classifications"),
        (f"/assets/{ref}/usage", "/api/v1/assets/{ref}/usage"),
        ("/classifications", "/api/v1/classifications"),
        ("/classifications/labels", "/api/v1/classifications/labels"),
        ("/scan-rule-sets", "/api/v1/scan-rule-sets"),
        ("/search?q=customers", "/api/v1/search"),
        ("/search/suggest?q=cus", "/api/v1/search/suggest"),
        ("/analytics/catalog", "/api/v1/analytics/catalog"),
        ("/changes/impact?since=2000-01-01T00:00:00Z", "/api/v1/changes/impact"),
    ]:
        _check(live, "get", template, live.call("GET", path))


def test_source_scan_and_account_answers_keep_to_their_schemas(live: Live) -> None:
    for path, template in [
        ("/sources", "/api/v1/sources"),
        ("/sources/shop", "/api/v1/sources/{name}"),
        ("/scans", "/api/v1/scans"),
        ("/scans/1", "/api/v1/scans/{scan_id}"),
        ("/scans/1/events", "/api/v1/scans/{scan_id}/events"),
        ("/me", "/api/v1/me"),
        ("/users", "/api/v1/users"),
        ("/audit", "/api/v1/audit"),
    ]:
        _check(live, "get", template, live.call("GET", path))
    tested = _check(
        live, "post", "/api/v1/sources/{name}/test", live.call("POST", "/sources/shop/test")
    )
    assert tested["dialect"] == "sqlite"  # the connector's own facts are kept
    user = _check(
        live,
        "post",
        "/api/v1/users",
        live.call("POST", "/users", json={"name": "ann", "role": "viewer"}),
    )
    assert user["role"] == "viewer"
    token = live.call("POST", "/users/ann/tokens", json={"name": "ci"})
    _check(live, "post", "/api/v1/users/{name}/tokens", token)
    tokens = _check(
        live, "get", "/api/v1/users/{name}/tokens", live.call("GET", "/users/ann/tokens")
    )
    assert tokens["items"][0]["name"] == "ci" and "token" not in tokens["items"][0]
    body = {"user": "ann", "role": "steward", "scope_kind": "source", "scope": "shop"}
    policy = _check(live, "post", "/api/v1/policies", live.call("POST", "/policies", json=body))
    assert policy["permissions"] == ["catalog:write"]
    _check(live, "get", "/api/v1/policies", live.call("GET", "/policies"))
    one = live.call("GET", f"/policies/{policy['id']}")
    _check(live, "get", "/api/v1/policies/{policy_id}", one)
    gone = live.call("DELETE", f"/policies/{policy['id']}")
    _check(live, "delete", "/api/v1/policies/{policy_id}", gone)


def test_lineage_answers_keep_to_their_schemas(live: Live) -> None:
    sql = "INSERT INTO main.orders_copy SELECT id, customer_id FROM main.orders"
    parsed = live.call("POST", "/lineage/parse", json={"sql": sql, "dialect": "sqlite"})
    assert _check(live, "post", "/api/v1/lineage/parse", parsed)["column_lineage"]
    ingested = live.call("POST", "/lineage/sql", json={"source": "shop", "sql": sql})
    _check(live, "post", "/api/v1/lineage/sql", ingested)
    ignored = live.call(
        "POST",
        "/lineage",
        json={
            "eventType": "START",
            "eventTime": "2026-01-01T00:00:00Z",
            "run": {"runId": "0195f7a4-0000-7000-8000-000000000000"},
            "job": {"namespace": "ci", "name": "nightly"},
            "producer": "tests",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
        },
    )
    body = _check(live, "post", "/api/v1/lineage", ignored)
    # an event without lineage answers only what it has: no null job or edge counts
    assert set(body) <= {
        "status",
        "event_type",
        "edges",
        "job",
        "edges_added",
        "edges_removed",
        "external_created",
    }
    assert None not in body.values()


def test_rule_set_and_decision_answers_keep_to_their_schemas(live: Live) -> None:
    rule = {"id": "badge", "label": "Custom.Badge", "names": ["\\bbadge\\b"]}
    body = {"name": "corp", "version": 1, "rules": [rule], "sources": ["shop"]}
    put = live.call("POST", "/scan-rule-sets", json=body)
    made = _check(live, "post", "/api/v1/scan-rule-sets", put)
    assert (made["sources"], made["definition"]["rules"][0]["id"]) == (["shop"], "badge")
    got = live.call("GET", "/scan-rule-sets/corp")
    assert _check(live, "get", "/api/v1/scan-rule-sets/{name}", got)["version"] == made["version"]
    column = live.call("GET", "/assets?type=column&q=email").json()["items"][0]
    path = f"/assets/{column['id']}/classifications/Custom.Badge/reject"
    template = "/api/v1/assets/{ref}/classifications/{label}/reject"
    rejected = _check(live, "post", template, live.call("POST", path, json={"note": "no"}))
    decided = [c for c in rejected["items"] if c["label"] == "Custom.Badge"]
    assert [(c["status"], c["note"], c["column"]) for c in decided] == [("rejected", "no", "email")]
    assert live.call("DELETE", "/scan-rule-sets/corp").status_code == 204


def test_query_usage_summary_passes_its_schema_whole(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    """POST /sources/{name}/usage/ingest reads pg_stat_statements; the same summary from a
    log file shows that the schema keeps every field the service answers."""
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")
    log = tmp_path / "queries.sql"
    log.write_text("SELECT * FROM orders;\nSELECT * FROM nowhere;\n")
    summary = asdict(usage.ingest_query_usage(ctx, operator, "shop", str(log)))
    summary["unresolved"] = list(summary["unresolved"])  # JSON has lists
    assert QueryUsageIngested.model_validate(summary).model_dump() == summary
    assert summary["unresolved"] == ["nowhere"]


def test_every_operation_of_the_document_is_enforced(openapi: dict[str, Any]) -> None:
    """This module and the governance one together cover every tag of the document, and every
    operation has a tag: no route can land without a declared answer."""
    from tests.api.test_openapi_schemas_governance import TAGS as GOVERNANCE_TAGS

    covered = ENFORCED_TAGS | GOVERNANCE_TAGS
    untagged, unchecked = [], set()
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            tags = set(op.get("tags", []))
            if not tags:
                untagged.append(f"{method.upper()} {path}")
            unchecked |= tags - covered
    assert not untagged, f"operations without a tag (so unchecked): {untagged}"
    assert not unchecked, f"tags no response-schema test covers: {sorted(unchecked)}"
