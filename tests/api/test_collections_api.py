"""Collections through a real ``sounding serve``: a viewer keeps their own, another user
cannot see a private one (404) nor change a shared one (403), several URNs added at once (all
or none), items paged, bad input as 4xx, and answers that keep to the declared schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.live import check_answer, scanned_server

pytestmark = pytest.mark.slow

BASE = "/api/v1/collections"
U = "urn:sounding:shop:main."


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    with scanned_server(
        tmp_path_factory.mktemp("collections"), {"ann": ("ann", "viewer"), "bob": ("bob", "viewer")}
    ) as clients:
        yield clients


_check = check_answer


def test_private_is_404_and_shared_is_read_only_for_others(
    http: dict[str, httpx.Client],
) -> None:
    ann, bob, admin = http["ann"], http["bob"], http["admin"]
    doc = admin.get("/openapi.json").json()
    one = f"{BASE}/{{collection_id}}"
    made = _check(doc, ann.post(BASE, json={"name": "Ann's picks"}), "POST", BASE)
    assert (made["owner"], made["visibility"], made["can_edit"]) == ("ann", "private", True)
    cid = made["id"]

    # bob: a private collection of ann's does not exist for him
    for method, path, body in [
        ("GET", f"{BASE}/{cid}", None),
        ("GET", f"{BASE}/{cid}/items", None),
        ("PATCH", f"{BASE}/{cid}", {"name": "x"}),
        ("POST", f"{BASE}/{cid}/items", {"urns": [U + "orders"]}),
        ("DELETE", f"{BASE}/{cid}", None),
    ]:
        answer = bob.request(method, path, json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["type"] == "NotFoundError"
        assert "Ann's picks" not in answer.text
    assert _check(doc, bob.get(BASE), "GET", BASE)["total"] == 0

    shared = ann.patch(f"{BASE}/{cid}", json={"visibility": "shared", "description": "Best"})
    assert _check(doc, shared, "PATCH", one)["visibility"] == "shared"
    seen = _check(doc, bob.get(f"{BASE}/{cid}"), "GET", one)
    assert (seen["name"], seen["can_edit"]) == ("Ann's picks", False)
    listed = _check(doc, bob.get(BASE, params={"scope": "shared"}), "GET", BASE)
    assert [c["id"] for c in listed["items"]] == [cid]
    assert bob.get(BASE, params={"scope": "mine"}).json()["total"] == 0
    for method, path, body in [
        ("PATCH", f"{BASE}/{cid}", {"name": "x"}),
        ("POST", f"{BASE}/{cid}/items", {"urns": [U + "orders"]}),
        ("POST", f"{BASE}/{cid}/items/remove", {"urns": [U + "orders"]}),
        ("DELETE", f"{BASE}/{cid}", None),
    ]:
        answer = bob.request(method, path, json=body)
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["type"] == "PermissionDeniedError"
        assert "only its owner" in answer.json()["error"]["message"]

    # shared with named users: bob sees it only while he is named
    named = ann.patch(f"{BASE}/{cid}", json={"visibility": "users", "shared_with": ["admin1"]})
    assert named.json()["shared_with"] == ["admin1"]
    assert bob.get(f"{BASE}/{cid}").status_code == 404
    ann.patch(f"{BASE}/{cid}", json={"shared_with": ["bob"]})
    assert bob.get(f"{BASE}/{cid}").status_code == 200

    # an admin may change and delete anyone's
    assert admin.patch(f"{BASE}/{cid}", json={"description": "by admin"}).status_code == 200
    assert admin.delete(f"{BASE}/{cid}").status_code == 204
    assert ann.get(f"{BASE}/{cid}").status_code == 404


def test_items_added_at_once_paged_and_removed(http: dict[str, httpx.Client]) -> None:
    ann, admin = http["ann"], http["admin"]
    doc = admin.get("/openapi.json").json()
    items_path = f"{BASE}/{{collection_id}}/items"
    cid = ann.post(BASE, json={"name": "Orders work"}).json()["id"]
    added = ann.post(
        f"{BASE}/{cid}/items",
        json={"urns": [U + "orders", U + "customers", U + "big_orders"], "note": "for Q3"},
    )
    body = _check(doc, added, "POST", items_path)
    assert body["added"] == [U + "orders", U + "customers", U + "big_orders"]
    assert body["collection"]["item_count"] == 3

    refused = ann.post(f"{BASE}/{cid}/items", json={"urns": [U + "orders", U + "nope"]})
    assert refused.status_code == 422 and "nope" in refused.json()["error"]["message"]
    again = ann.post(f"{BASE}/{cid}/items", json={"urns": [U + "orders"]}).json()
    assert (again["added"], again["already_present"]) == ([], [U + "orders"])

    first = _check(doc, ann.get(f"{BASE}/{cid}/items", params={"limit": 2}), "GET", items_path)
    assert [i["urn"] for i in first["items"]] == [U + "orders", U + "customers"]
    assert first["total"] == 3 and first["next_cursor"]
    assert first["items"][0]["type"] == "table" and first["items"][0]["source"] == "shop"
    assert first["items"][0]["note"] == "for Q3" and first["items"][0]["added_by"] == "ann"
    assert first["collection"]["name"] == "Orders work"
    rest = ann.get(f"{BASE}/{cid}/items", params={"cursor": first["next_cursor"]}).json()
    assert [i["urn"] for i in rest["items"]] == [U + "big_orders"] and not rest["next_cursor"]

    gone = ann.post(f"{BASE}/{cid}/items/remove", json={"urns": [U + "customers"]})
    assert _check(doc, gone, "POST", f"{items_path}/remove")["removed"] == [U + "customers"]
    assert ann.get(f"{BASE}/{cid}/items").json()["total"] == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", BASE, {"name": ""}, 422),
        ("POST", BASE, {"name": "x" * 201}, 422),
        ("POST", BASE, {"name": "v", "visibility": "team"}, 422),
        ("POST", BASE, {"name": "v", "visibility": "users"}, 422),
        ("POST", BASE, {"name": "v", "owner": "bob"}, 422),
        ("POST", BASE, {"name": "v", "shared_with": ["u"] * 201}, 422),
        ("GET", f"{BASE}?limit=100000", None, 422),
        ("GET", f"{BASE}?scope=everything", None, 422),
        ("GET", f"{BASE}/0", None, 422),
        ("GET", f"{BASE}/abc", None, 422),
        ("GET", f"{BASE}/99999999999", None, 422),
        ("POST", f"{BASE}/1/items", {"urns": []}, 422),
        ("POST", f"{BASE}/1/items", {"urns": ["u"] * 1001}, 422),
        ("POST", f"{BASE}/1/items", {"urns": ["u"], "note": "n" * 2001}, 422),
        ("GET", f"{BASE}/424242", None, 404),
    ],
)
def test_bad_input_is_a_clear_4xx(
    http: dict[str, httpx.Client], method: str, path: str, body: Any, status: int
) -> None:
    answer = http["ann"].request(method, path, json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"]


def test_names_are_unique_per_owner(http: dict[str, httpx.Client]) -> None:
    ann, bob = http["ann"], http["bob"]
    assert ann.post(BASE, json={"name": "Dup"}).status_code == 201
    taken = ann.post(BASE, json={"name": "dup"})
    assert taken.status_code == 409 and "already" in taken.json()["error"]["message"]
    assert bob.post(BASE, json={"name": "Dup"}).status_code == 201
