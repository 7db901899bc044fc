"""The data product pages over HTTP on the demo store: create with ports, the product page
with health, a port change making a new version, publish then deprecate, refused forms that
say why, and a viewer who sees no forms.

Objects these tests change (nobody else relies on them): data products named ``Ui*``."""

from __future__ import annotations

from html import unescape
from typing import Any

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}


def _api(site: Site, method: str, url: str, **kw: Any) -> Any:
    answer = httpx.request(
        method, f"{site.base}/api/v1{url}", headers=site.server.headers, timeout=30, **kw
    )
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def test_create_version_publish_and_deprecate(site: Site) -> None:
    tables = _api(site, "GET", "/assets", params={"type": "table", "limit": 3})["items"]
    a, b, c = (t["urn"] for t in tables)
    client = site.as_user("steward")
    token = site.csrf(client, "/data-products")
    made = client.post(
        "/data-products",
        data={
            "csrf_token": token,
            "name": "UiOrders",
            "sla": "Daily by 06:00",
            "freshness_hours": "24",
            "inputs": a,
            "outputs": f"{b}\n{b}",
        },
    )
    assert made.status_code == 303, made.text
    product = _api(site, "GET", "/data-products/UiOrders")
    assert product["version"] == 1 and [p["urn"] for p in product["outputs"]] == [b]
    page = unescape(client.get(made.headers["location"]).text)
    assert "Data product created as a draft." in page and "Daily by 06:00" in page
    assert 'id="product-health"' in page and "v1" in page
    bad = client.post(
        "/data-products",
        data={"csrf_token": token, "name": "UiBad", "outputs": "urn:nope"},
        headers=HTML,
    )
    assert bad.status_code == 422 and "no asset 'urn:nope'" in unescape(bad.text)
    assert 'value="UiBad"' in bad.text  # the form comes back filled in
    hours = client.post(
        "/data-products",
        data={"csrf_token": token, "name": "UiBad", "freshness_hours": "soon"},
        headers=HTML,
    )
    assert hours.status_code == 422 and "whole number of hours" in hours.text

    pid = product["id"]
    edited = client.post(
        f"/data-products/{pid}/edit",
        data={"csrf_token": token, "inputs": a, "outputs": f"{b}\n{c}", "sla": "Hourly"},
    )
    assert edited.status_code == 303
    assert _api(site, "GET", f"/data-products/{pid}")["version"] == 2
    published = client.post(
        f"/data-products/{pid}/status", data={"csrf_token": token, "status": "published"}
    )
    assert published.status_code == 303
    refused = client.post(f"/data-products/{pid}/delete", data={"csrf_token": token}, headers=HTML)
    assert refused.status_code == 409 and "deprecate it first" in unescape(refused.text)
    back = client.post(
        f"/data-products/{pid}/status", data={"csrf_token": token, "status": "draft"}, headers=HTML
    )
    assert back.status_code == 409 and "cannot become draft" in unescape(back.text)
    listed = client.get("/data-products?status=published").text
    assert "UiOrders" in listed
    client.post(f"/data-products/{pid}/status", data={"csrf_token": token, "status": "deprecated"})
    gone = client.post(f"/data-products/{pid}/delete", data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["location"] == "/data-products?done=delete"


def test_viewers_read_without_forms(site: Site) -> None:
    made = _api(site, "POST", "/data-products", json={"name": "UiViewed"})
    viewer = site.as_user("viewer")
    assert 'id="new-product"' not in viewer.get("/data-products").text
    page = viewer.get(f"/data-products/{made['id']}")
    assert page.status_code == 200 and "/edit" not in page.text and "/status" not in page.text
    token = site.csrf(viewer, "/data-products")
    forged = viewer.post(
        "/data-products", data={"csrf_token": token, "name": "UiMine"}, headers=HTML
    )
    assert forged.status_code == 403
    assert viewer.get("/data-products/UiNope", headers=HTML).status_code == 404
    _api(site, "DELETE", f"/data-products/{made['id']}")
