"""The custom properties page over HTTP on the demo store: a steward defines a property, a
refused form comes back filled in with the reason, a wrong value set on the asset page is
refused with the message and writes nothing, deleting one in use (the page sends force)
removes its values; a viewer sees no forms.

Objects these tests change: the property ``uisla`` (created and deleted here)."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}


def test_define_set_refuse_and_delete_a_property(site: Site) -> None:
    client = site.as_user("steward")
    assert 'id="new-property"' in client.get("/properties").text
    assert 'id="new-property"' not in site.as_user("viewer").get("/properties").text
    assert 'href="/properties"' in client.get("/taxonomy").text
    token = site.csrf(client, "/properties")
    made = client.post(
        "/properties",
        data={"csrf_token": token, "name": "uisla", "type": "number", "asset_types": ["table"]},
    )
    assert made.status_code == 303 and made.headers["location"] == "/properties?done=create"
    page = unescape(client.get("/properties?done=create").text)
    assert "Property defined." in page and 'id="property-uisla"' in page
    enum = client.post(
        "/properties",
        data={"csrf_token": token, "name": "uienum", "type": "enum"},
        headers=HTML,
    )
    assert enum.status_code == 422 and "needs allowed_values" in enum.text
    assert 'value="uienum"' in enum.text

    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30)
    try:
        table = api.get("/assets", params={"type": "table", "limit": 1}).json()["items"][0]
        hx = {**HTML, "HX-Request": "true", "X-CSRF-Token": token}
        refused = client.post(
            f"/assets/{table['id']}/properties",
            data={"csrf_token": token, "name": "uisla", "value": "soon"},
            headers=hx,
        )
        assert "Property 'uisla' is a number" in unescape(refused.text)
        assert "uisla" not in api.get(f"/assets/{table['id']}").json()["custom_properties"]
        done = client.post(
            f"/assets/{table['id']}/properties",
            data={"csrf_token": token, "name": "uisla", "value": "24"},
            headers=hx,
        )
        assert done.status_code == 200 and 'data-property="uisla"' in done.text
        assert api.get(f"/assets/{table['id']}").json()["custom_properties"]["uisla"] == 24
        gone = client.post("/properties/uisla/delete", data={"csrf_token": token, "force": "true"})
        assert gone.status_code == 303
        assert "uisla" not in api.get(f"/assets/{table['id']}").json()["custom_properties"]
    finally:
        api.delete("/custom-properties/uisla", params={"force": "true"})
        api.close()
