"""Data products through a real ``sounding serve``: create with ports, read with health,
version bumps on port changes, the lifecycle and refused deletes, bad input as 4xx, roles,
and answers that keep to the declared schemas."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source

BASE = "/api/v1/data-products"
U = "urn:sounding:shop:main."


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    home = tmp_path_factory.mktemp("products")
    url = sqlite_source(home / "shop.db")
    server = ServerProcess(home / "home")
    server.env.pop("SOUNDING_DATABASE_URL", None)
    server.start(timeout=90)  # a shared, loaded machine
    clients: dict[str, httpx.Client] = {}
    try:
        admin = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        clients["admin"] = admin
        assert admin.post("/api/v1/sources", json={"name": "shop", "url": url}).status_code == 201
        scan = admin.post("/api/v1/scans", json={"source": "shop"}).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
            scan = admin.get(f"/api/v1/scans/{scan['id']}").json()
        assert scan["status"] == "completed", scan
        assert admin.post("/api/v1/users", json={"name": "viewer1", "role": "viewer"}).is_success
        token = admin.post("/api/v1/users/viewer1/tokens", json={}).json()["token"]
        clients["viewer"] = httpx.Client(
            base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        yield clients
    finally:
        for c in clients.values():
            c.close()
        server.stop()


def _check(doc: dict[str, Any], answer: httpx.Response, method: str, template: str) -> Any:
    assert answer.status_code < 300, answer.text
    op = doc["paths"][template][method.lower()]
    status = min(code for code in op["responses"] if code.startswith("2"))
    ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    body = answer.json()
    jsonschema.validate(body, {"$ref": ref, "components": doc["components"]})
    return body


def test_a_product_from_draft_to_deprecated(http: dict[str, httpx.Client]) -> None:
    admin, viewer = http["admin"], http["viewer"]
    doc = admin.get("/openapi.json").json()
    body = {
        "name": "Orders 360",
        "description": "Orders with their customers",
        "inputs": [U + "customers"],
        "outputs": [U + "orders"],
        "sla": "Daily by 06:00 UTC",
        "freshness_hours": 24,
    }
    made = _check(doc, admin.post(BASE, json=body), "POST", BASE)
    assert (made["status"], made["version"], made["health"]["status"]) == ("draft", 1, "unknown")
    assert [p["urn"] for p in made["outputs"]] == [U + "orders"]
    assert viewer.post(BASE, json={"name": "Mine"}).status_code == 403
    assert admin.post(BASE, json={**body, "name": "orders 360"}).status_code == 409
    assert admin.post(BASE, json={"name": "B", "freshness_hours": 0}).status_code == 422
    bad_port = admin.post(BASE, json={"name": "B", "inputs": [U + "nope"]})
    assert bad_port.status_code == 422 and "no asset" in bad_port.json()["error"]["message"]
    assert admin.post(BASE, json={"name": "B", "domain": "Nope"}).status_code == 422

    item = f"{BASE}/{made['id']}"
    published = admin.patch(item, json={"status": "published"}).json()
    assert published["status"] == "published" and published["version"] == 1
    grown = _check(
        doc,
        admin.patch(item, json={"outputs": [U + "orders", U + "big_orders"]}),
        "PATCH",
        BASE + "/{ref}",
    )
    assert grown["version"] == 2 and grown["output_count"] == 2
    assert admin.patch(item, json={"status": "draft"}).status_code == 409
    assert admin.patch(item, json={"status": "gone"}).status_code == 422
    assert admin.delete(item).status_code == 409
    _check(doc, viewer.get(f"{BASE}/Orders 360"), "GET", BASE + "/{ref}")
    listed = _check(doc, viewer.get(BASE, params={"status": "published"}), "GET", BASE)
    assert [p["name"] for p in listed["items"]] == ["Orders 360"]
    assert admin.patch(item, json={"status": "deprecated"}).json()["status"] == "deprecated"
    assert admin.delete(item).status_code == 204
    assert viewer.get(item).status_code == 404
