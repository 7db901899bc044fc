"""The domain pages over HTTP on the demo store: the tree with counts, a domain's page with its
path, owners, sub-domains and assets, the asset page linking to its domain, create and edit
forms that come back with the reason when refused, deletes refused while a domain holds
something, and a viewer who sees no forms and whose forged posts are refused.

Objects these tests change (nobody else relies on them): domains named ``Ui*`` (created
here) and the domain of one demo table, set and cleared here."""

from __future__ import annotations

import re
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


def test_create_nest_show_edit_and_delete(site: Site) -> None:
    client = site.as_user("steward")
    assert 'action="/domains"' in client.get("/domains").text
    token = site.csrf(client, "/domains")
    made = client.post(
        "/domains",
        data={"csrf_token": token, "name": "UiFinance", "owners": "ann, bo", "description": "$"},
    )
    assert made.status_code == 303, made.text
    fin = _api(site, "GET", "/domains/UiFinance")
    assert made.headers["location"] == f"/domains/{fin['id']}?done=create"
    assert fin["owners"] == ["ann", "bo"] and fin["created_by"] == "steward"
    sub = client.post(
        "/domains", data={"csrf_token": token, "name": "UiRevenue", "parent": "UiFinance"}
    )
    assert sub.status_code == 303
    taken = client.post("/domains", data={"csrf_token": token, "name": "uifinance"}, headers=HTML)
    assert taken.status_code == 409
    assert "exists already" in unescape(taken.text) and 'value="uifinance"' in taken.text
    slash = client.post("/domains", data={"csrf_token": token, "name": "a/b"}, headers=HTML)
    assert slash.status_code == 422 and "cannot hold &#39;/&#39;" in slash.text

    table = _api(site, "GET", "/assets", params={"type": "table", "limit": 1})["items"][0]
    _api(site, "PATCH", f"/assets/{table['id']}", json={"domain": "UiRevenue"})
    try:
        tree = client.get("/domains").text
        assert re.search(r'data-domain="UiFinance".*data-domain="UiRevenue"', tree, re.S)
        page = unescape(client.get(f"/domains/{fin['id']}?done=create").text)
        assert "Domain created." in page and "ann, bo" in page
        assert re.search(r'<table id="subdomains">.*UiRevenue.*</table>', page, re.S)
        rev = _api(site, "GET", "/domains/UiRevenue")
        sub_page = unescape(client.get(f"/domains/{rev['id']}").text)
        assert f'href="/assets/{table["id"]}"' in sub_page and "1 asset" in sub_page
        assert f'<a href="/domains/{fin["id"]}">UiFinance</a>' in sub_page  # the breadcrumb
        asset_page = client.get(f"/assets/{table['id']}").text
        assert 'href="/domains/UiRevenue"' in asset_page
        # the edit form never offers the domain itself or its descendants as a parent
        edit_form = page.split('id="e-parent"', 1)[1].split("</select>", 1)[0]
        assert "UiRevenue" not in edit_form and ">UiFinance<" not in edit_form

        refused = client.post(
            f"/domains/{rev['id']}/delete", data={"csrf_token": token}, headers=HTML
        )
        assert refused.status_code == 409 and "not empty: it has 1 asset" in unescape(refused.text)
        cycle = client.post(
            f"/domains/{fin['id']}/edit",
            data={"csrf_token": token, "name": "UiFinance", "parent": "UiRevenue"},
            headers=HTML,
        )
        assert cycle.status_code == 422 and "cycle" in unescape(cycle.text)
        saved = client.post(
            f"/domains/{rev['id']}/edit",
            data={"csrf_token": token, "name": "UiIncome", "parent": "", "owners": "cy"},
        )
        assert saved.status_code == 303
        assert _api(site, "GET", f"/assets/{table['id']}")["domain"] == "UiIncome"
        moved = _api(site, "GET", f"/domains/{rev['id']}")
        assert moved["parent"] is None and moved["owners"] == ["cy"]
    finally:
        _api(site, "PATCH", f"/assets/{table['id']}", json={"domain": None})
    for ref in (rev["id"], fin["id"]):
        gone = client.post(f"/domains/{ref}/delete", data={"csrf_token": token})
        assert gone.status_code == 303 and gone.headers["location"] == "/domains?done=delete"
    assert "Domain deleted." in client.get("/domains?done=delete").text


def test_viewers_see_no_forms_and_forged_posts_are_refused(site: Site) -> None:
    _api(site, "POST", "/domains", json={"name": "UiViewOnly"})
    viewer = site.as_user("viewer")
    index = viewer.get("/domains")
    assert index.status_code == 200 and "UiViewOnly" in index.text
    assert 'action="/domains"' not in index.text
    ref = _api(site, "GET", "/domains/UiViewOnly")["id"]
    page = viewer.get(f"/domains/{ref}")
    assert page.status_code == 200 and "/edit" not in page.text
    token = site.csrf(viewer, "/domains")
    forged = viewer.post("/domains", data={"csrf_token": token, "name": "UiMine"}, headers=HTML)
    assert forged.status_code == 403
    no_csrf = site.as_user("steward").post("/domains", data={"name": "UiNoCsrf"}, headers=HTML)
    assert no_csrf.status_code == 403
    assert viewer.get("/domains/UiNope", headers=HTML).status_code == 404
    _api(site, "DELETE", "/domains/UiViewOnly")
