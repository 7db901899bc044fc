"""Search over HTTP: ranking, filters, facets, suggestions, bad input."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_resources import _scan


def test_search_and_suggest(api: Api) -> None:
    _scan(api)
    resp = api.call("GET", "/api/v1/search", role="viewer", params={"q": "orders"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    top = body["items"][0]
    assert top["qualified_name"] == "main.orders" and top["type"] == "table"
    for key in ("id", "urn", "name", "qualified_name", "type", "score", "reasons"):
        assert key in top
    assert body["total"] >= 2 and "type" in body["facets"]
    cols = api.call(
        "GET", "/api/v1/search", role="viewer", params={"q": "customer", "type": "column"}
    ).json()
    assert cols["items"] and all(h["type"] == "column" for h in cols["items"])
    api.call(
        "PATCH",
        "/api/v1/assets/urn:sounding:shop:main.customers",
        role="steward",
        json={"description": "People who buy from the shop", "tags": ["gold"]},
    )
    found = api.call(
        "GET", "/api/v1/search", role="viewer", params={"q": "people who buy", "tag": "gold"}
    ).json()
    assert [h["name"] for h in found["items"]] == ["customers"]  # seen at once, no reindex
    sugg = api.call("GET", "/api/v1/search/suggest", role="viewer", params={"q": "ord"}).json()
    assert {"text": "orders", "kind": "asset"}.items() <= sugg["items"][0].items()
    assert (
        api.call(
            "GET", "/api/v1/search", role="viewer", params={"q": "x", "mode": "psychic"}
        ).status_code
        == 422
    )
    assert (
        api.call(
            "GET", "/api/v1/search", role="viewer", params={"q": "x", "quality_min": 2}
        ).status_code
        == 422
    )
    for field, value in (("type", "tabel"), ("lifecycle", "prod"), ("criticality", "urgent")):
        typo = api.call("GET", "/api/v1/search", role="viewer", params={"q": "x", field: value})
        assert typo.status_code == 422, (field, typo.text)
        assert f"Unknown {field} '{value}'" in typo.json()["error"]["message"]
    term = api.call(
        "GET", "/api/v1/search", role="viewer", params={"q": "x", "type": "glossary_term"}
    )
    assert term.status_code == 200
