"""The tag taxonomy through a real ``sounding serve``: groups and their tags, applying an
unknown tag (422) or a forbidden one (403) to an asset, free tags untouched, and answers that
keep to the declared schemas."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source

BASE = "/api/v1/tag-groups"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    home = tmp_path_factory.mktemp("tags")
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
        assert admin.post("/api/v1/users", json={"name": "stew", "role": "steward"}).is_success
        token = admin.post("/api/v1/users/stew/tokens", json={}).json()["token"]
        clients["steward"] = httpx.Client(
            base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        yield clients
    finally:
        for c in clients.values():
            c.close()
        server.stop()


def test_groups_and_applying_their_tags(http: dict[str, httpx.Client]) -> None:
    admin, steward = http["admin"], http["steward"]
    doc = admin.get("/openapi.json").json()

    def check(answer: httpx.Response, method: str, template: str) -> dict[str, object]:
        assert answer.status_code < 300, answer.text
        op = doc["paths"][template][method]
        status = min(code for code in op["responses"] if code.startswith("2"))
        ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        body: dict[str, object] = answer.json()
        jsonschema.validate(body, {"$ref": ref, "components": doc["components"]})
        return body

    body = {
        "name": "tier",
        "description": "How much we care",
        "apply_roles": ["admin"],
        "tags": [{"name": "gold", "description": "Top"}, {"name": "silver"}],
    }
    check(admin.post(BASE, json=body), "post", BASE)
    assert admin.post(BASE, json=body).status_code == 409
    assert admin.post(BASE, json={"name": "a.b"}).status_code == 422
    assert admin.post(BASE, json={"name": "x", "apply_roles": ["owner"]}).status_code == 422
    check(admin.get(BASE), "get", BASE)
    check(steward.get(f"{BASE}/tier"), "get", BASE + "/{name}")

    orders = admin.get("/api/v1/assets", params={"q": "orders", "type": "table"}).json()
    asset = f"/api/v1/assets/{orders['items'][0]['id']}"
    unknown = steward.patch(asset, json={"add_tags": ["tier.platinum"]})
    assert unknown.status_code == 422 and "defines tier.gold, tier.silver" in unknown.text
    forbidden = steward.patch(asset, json={"add_tags": ["tier.gold"]})
    assert forbidden.status_code == 403 and "may not apply 'tier.gold'" in forbidden.text
    assert admin.get(asset).json()["tags"] == []  # nothing written
    free = steward.patch(asset, json={"add_tags": ["hot", "team.growth"]})
    assert free.status_code == 200 and free.json()["tags"] == ["hot", "team.growth"]
    assert admin.patch(asset, json={"add_tags": ["tier.gold"]}).status_code == 200
    opened = check(
        admin.patch(f"{BASE}/tier", json={"apply_roles": ["admin", "steward"]}),
        "patch",
        BASE + "/{name}",
    )
    assert opened["apply_roles"] == ["admin", "steward"]
    assert steward.patch(asset, json={"add_tags": ["tier.silver"]}).status_code == 200
    assert steward.delete(f"{BASE}/tier").status_code == 204
    assert steward.get(f"{BASE}/tier").status_code == 404
