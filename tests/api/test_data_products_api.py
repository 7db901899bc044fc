"""Data products through a real ``sounding serve``: create with ports, read with health,
version bumps on port changes, the lifecycle and refused deletes, bad input as 4xx, roles,
and answers that keep to the declared schemas."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live import check_answer, scanned_server

BASE = "/api/v1/data-products"
U = "urn:sounding:shop:main."


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    with scanned_server(
        tmp_path_factory.mktemp("products"), {"viewer": ("viewer1", "viewer")}
    ) as clients:
        yield clients


_check = check_answer


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
