"""Custom properties through a real ``sounding serve``: definitions (typed answers that keep
to the declared schemas), a PATCH of an asset checked against them (422 naming the property),
search by a value and by ``?property=name:value`` with its facet, and deleting a definition
in use (409 saying how many assets, then ``?force=true``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live import answer_checker, scanned_server

pytestmark = pytest.mark.slow
BASE = "/api/v1/custom-properties"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    with scanned_server(tmp_path_factory.mktemp("props"), {"viewer": ("vic", "viewer")}) as clients:
        yield clients


def test_definitions_validate_search_and_delete(http: dict[str, httpx.Client]) -> None:
    admin, viewer = http["admin"], http["viewer"]
    doc = admin.get("/openapi.json").json()

    check = answer_checker(doc)

    tier = {
        "name": "tier",
        "type": "enum",
        "allowed_values": ["gold", "silver"],
        "asset_types": ["table"],
        "description": "How much we care",
    }
    made = check(admin.post(BASE, json=tier), "post", BASE)
    assert made["type"] == "enum" and made["required"] is False
    assert admin.post(BASE, json=tier).status_code == 409
    check(admin.post(BASE, json={"name": "sla_hours", "type": "number"}), "post", BASE)
    for bad in (
        {"name": "x", "type": "colour"},
        {"name": "x", "type": "enum"},
        {"name": "x", "type": "string", "asset_types": ["sheet"]},
        {"name": "x" * 64, "type": "string"},
    ):
        assert admin.post(BASE, json=bad).status_code == 422, bad
    assert viewer.post(BASE, json={"name": "v", "type": "string"}).status_code == 403
    listed = check(viewer.get(BASE), "get", BASE)
    assert [p["name"] for p in listed["items"]] == ["sla_hours", "tier"]  # type: ignore[attr-defined]
    columns = viewer.get(BASE, params={"asset_type": "column"}).json()
    assert [p["name"] for p in columns["items"]] == ["sla_hours"]
    check(viewer.get(f"{BASE}/tier"), "get", BASE + "/{name}")
    assert viewer.get(f"{BASE}/nope").status_code == 404
    changed = check(
        admin.patch(f"{BASE}/tier", json={"allowed_values": ["gold", "silver", "bronze"]}),
        "patch",
        BASE + "/{name}",
    )
    assert changed["allowed_values"] == ["gold", "silver", "bronze"]

    orders = admin.get("/api/v1/assets", params={"q": "orders", "type": "table"}).json()
    asset = f"/api/v1/assets/{orders['items'][0]['id']}"
    wrong = admin.patch(asset, json={"custom_properties": {"tier": "platinum"}})
    assert wrong.status_code == 422 and "'tier'" in wrong.text and "gold, silver" in wrong.text
    unknown = admin.patch(asset, json={"custom_properties": {"colour": "red"}})
    assert unknown.status_code == 422 and "Unknown property 'colour'" in unknown.text
    number = admin.patch(asset, json={"custom_properties": {"sla_hours": "soon"}})
    assert number.status_code == 422 and "'sla_hours' is a number" in number.text
    assert admin.get(asset).json()["custom_properties"] == {}
    done = admin.patch(asset, json={"custom_properties": {"tier": "bronze", "sla_hours": 4}})
    assert done.status_code == 200, done.text
    assert done.json()["custom_properties"] == {"tier": "bronze", "sla_hours": 4}

    by_value = viewer.get("/api/v1/search", params={"q": "bronze"}).json()
    assert "orders" in [h["name"] for h in by_value["items"]]
    filtered = viewer.get("/api/v1/search", params={"property": "tier:bronze"}).json()
    assert [h["name"] for h in filtered["items"]] == ["orders"]
    assert filtered["facets"]["property"] == {"sla_hours:4": 1, "tier:bronze": 1}
    other = viewer.get("/api/v1/search", params={"property": "tier:gold"}).json()
    assert other["total"] == 0

    in_use = admin.delete(f"{BASE}/tier")
    assert in_use.status_code == 409 and "1 asset(s) hold a value" in in_use.text
    assert admin.get(f"{BASE}/tier").status_code == 200
    assert admin.delete(f"{BASE}/tier", params={"force": "true"}).status_code == 204
    assert admin.get(f"{BASE}/tier").status_code == 404
    assert admin.get(asset).json()["custom_properties"] == {"sla_hours": 4}
