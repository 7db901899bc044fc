"""The tag taxonomy through a real ``sounding serve``: groups and their tags, applying an
unknown tag (422) or a forbidden one (403) to an asset, free tags untouched, and answers that
keep to the declared schemas."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.live import answer_checker, scanned_server

BASE = "/api/v1/tag-groups"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    with scanned_server(
        tmp_path_factory.mktemp("tags"), {"steward": ("stew", "steward")}
    ) as clients:
        yield clients


def test_groups_and_applying_their_tags(http: dict[str, httpx.Client]) -> None:
    admin, steward = http["admin"], http["steward"]
    doc = admin.get("/openapi.json").json()

    check = answer_checker(doc)

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
