"""Domains through a real ``sounding serve``: create, nest, read with assets and sub-domains,
rename, refused deletes and cycles, assets put in a domain through the asset PATCH (an unknown
domain is a 422), permissions by role, and the OpenAPI schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from tests.live import scanned_server

BASE = "/api/v1/domains"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    """A server with a scanned source ``shop``; clients for admin, steward and viewer."""
    with scanned_server(
        tmp_path_factory.mktemp("domains"),
        {"steward": ("steward1", "steward"), "viewer": ("viewer1", "viewer")},
    ) as clients:
        yield clients


def _table(http: dict[str, httpx.Client], name: str) -> dict[str, Any]:
    page = http["admin"].get("/api/v1/assets", params={"q": name, "type": "table"}).json()
    found: dict[str, Any] = page["items"][0]
    return found


def test_domain_lifecycle_with_assets(http: dict[str, httpx.Client]) -> None:
    admin, steward, viewer = http["admin"], http["steward"], http["viewer"]
    made = steward.post(BASE, json={"name": "Finance", "owners": ["ann"], "description": "$"})
    assert made.status_code == 201, made.text
    assert made.json()["owners"] == ["ann"] and made.json()["created_by"] == "steward1"
    sub = admin.post(BASE, json={"name": "Revenue", "parent": "finance"})
    assert sub.status_code == 201 and sub.json()["path"] == ["Finance"]
    assert viewer.post(BASE, json={"name": "Mine"}).status_code == 403
    dup = admin.post(BASE, json={"name": "revenue"})
    assert dup.status_code == 409 and "exists already" in dup.json()["error"]["message"]
    assert admin.post(BASE, json={"name": "a/b"}).status_code == 422
    assert admin.post(BASE, json={"name": "x" * 201}).status_code == 422
    cycle = admin.patch(f"{BASE}/Finance", json={"parent": "Revenue"})
    assert cycle.status_code == 422 and "cycle" in cycle.json()["error"]["message"]

    orders = _table(http, "orders")
    unknown = steward.patch(f"/api/v1/assets/{orders['id']}", json={"domain": "Revnue"})
    assert unknown.status_code == 422
    assert "Unknown domain 'Revnue'" in unknown.json()["error"]["message"]
    put = steward.patch(f"/api/v1/assets/{orders['id']}", json={"domain": "REVENUE"})
    assert put.status_code == 200 and put.json()["domain"] == "Revenue"

    page = viewer.get(f"{BASE}/Finance").json()
    assert page["subdomains"][0]["name"] == "Revenue" and page["subdomains"][0]["asset_count"] == 1
    rev = viewer.get(f"{BASE}/{sub.json()['id']}").json()
    assert [a["urn"] for a in rev["assets"]] == [orders["urn"]]
    assert "data_type" not in rev["assets"][0]  # an asset shows only its type's fields
    paged = viewer.get(f"{BASE}/Revenue/assets", params={"limit": 1}).json()
    assert paged["total"] == 1 and paged["items"][0]["urn"] == orders["urn"]
    by_domain = viewer.get("/api/v1/assets", params={"domain": "Revenue"}).json()
    assert [a["urn"] for a in by_domain["items"]] == [orders["urn"]]
    listed = viewer.get(BASE, params={"top": True}).json()
    assert [d["name"] for d in listed["items"]] == ["Finance"] and listed["total"] == 1
    assert viewer.get(BASE, params={"limit": 0}).status_code == 422
    assert viewer.get(f"{BASE}/Nope").status_code == 404

    full = admin.delete(f"{BASE}/Revenue")
    assert full.status_code == 409 and "1 asset" in full.json()["error"]["message"]
    parent = admin.delete(f"{BASE}/Finance")
    assert parent.status_code == 409 and "sub-domains Revenue" in parent.json()["error"]["message"]
    renamed = admin.patch(f"{BASE}/Revenue", json={"name": "Income", "parent": None})
    assert renamed.status_code == 200 and renamed.json()["parent"] is None
    assert admin.get(f"/api/v1/assets/{orders['id']}").json()["domain"] == "Income"
    assert viewer.delete(f"{BASE}/Finance").status_code == 403
    assert admin.delete(f"{BASE}/Finance").status_code == 204
    cleared = admin.patch(f"/api/v1/assets/{orders['id']}", json={"domain": None})
    assert cleared.json()["domain"] is None
    assert admin.delete(f"{BASE}/Income").status_code == 204
    audit = admin.get("/api/v1/audit", params={"user": "steward1"}).json()["items"]
    assert ("domain.create", "Finance") in [(e["action"], e["target"]) for e in audit]


def test_answers_keep_to_the_declared_schemas(http: dict[str, httpx.Client]) -> None:
    admin = http["admin"]
    doc = admin.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for name in ("DomainCreate", "DomainUpdate", "DomainPublic", "DomainPage"):
        assert name in schemas
    assert set(doc["paths"][BASE]) == {"get", "post"}
    assert set(doc["paths"][BASE + "/{ref}"]) == {"get", "patch", "delete"}

    def check(method: str, path: str, template: str, **kw: Any) -> None:
        answer = admin.request(method, path, **kw)
        assert answer.status_code < 300, answer.text
        op = doc["paths"][template][method.lower()]
        status = min(code for code in op["responses"] if code.startswith("2"))
        ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        jsonschema.validate(answer.json(), {"$ref": ref, "components": doc["components"]})

    orders = _table(http, "orders")
    check("POST", BASE, BASE, json={"name": "Checked", "owners": ["bo"]})
    admin.patch(f"/api/v1/assets/{orders['id']}", json={"domain": "Checked"})
    check("GET", BASE, BASE)
    check("GET", f"{BASE}/Checked", BASE + "/{ref}")
    check("GET", f"{BASE}/Checked/assets", BASE + "/{ref}/assets")
    check("PATCH", f"{BASE}/Checked", BASE + "/{ref}", json={"description": "d"})
    admin.patch(f"/api/v1/assets/{orders['id']}", json={"domain": None})
    assert admin.delete(f"{BASE}/Checked").status_code == 204
