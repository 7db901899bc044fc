"""The tag taxonomy page over HTTP on the demo store: create a group with tags and roles, add
tags, a refused form that says why, a tag applied on the asset page refused when unknown,
delete; a viewer sees no forms.

Objects these tests change: the tag group ``uitier`` (created and deleted here)."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}


def test_create_add_apply_and_delete_a_group(site: Site) -> None:
    client = site.as_user("steward")
    assert 'id="new-group"' in client.get("/taxonomy").text
    assert 'id="new-group"' not in site.as_user("viewer").get("/taxonomy").text
    token = site.csrf(client, "/taxonomy")
    made = client.post(
        "/taxonomy",
        data={
            "csrf_token": token,
            "name": "UiTier",
            "description": "How much we care",
            "tags": "gold: Top tier\nsilver",
            "apply_roles": ["admin", "steward"],
        },
    )
    assert made.status_code == 303 and made.headers["location"] == "/taxonomy?done=create"
    page = unescape(client.get("/taxonomy?done=create").text)
    assert "Tag group created." in page and "uitier.gold" in page and "Top tier" in page
    dotted = client.post(
        "/taxonomy", data={"csrf_token": token, "name": "a.b", "tags": "x"}, headers=HTML
    )
    assert dotted.status_code == 422 and 'value="a.b"' in dotted.text
    assert client.post(
        "/taxonomy/uitier/add", data={"csrf_token": token, "tags": "bronze"}
    ).is_redirect
    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30)
    group = api.get("/tag-groups/uitier").json()
    assert [t["name"] for t in group["tags"]] == ["bronze", "gold", "silver"]
    table = api.get("/assets", params={"type": "table", "limit": 1}).json()["items"][0]
    refused = client.post(
        f"/assets/{table['id']}/tags",
        data={"csrf_token": token, "add": "uitier.platinum"},
        headers={**HTML, "HX-Request": "true", "X-CSRF-Token": token},
    )
    assert "Unknown tag" in unescape(refused.text)
    assert "uitier.platinum" not in api.get(f"/assets/{table['id']}").json()["tags"]
    gone = client.post("/taxonomy/uitier/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    assert api.get("/tag-groups/uitier").status_code == 404
    api.close()
