"""The policies page in Chromium: an admin adds a policy through the form (a bad scope comes
back next to its field), the viewer it names gains what it grants against the API at once,
and removing it takes that away; a viewer is kept out. No console errors, axe on each step.

Objects made here: policies on domain ``pol-browser-*`` and on source ``nosuch`` (refused).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _scoped(site: Site, token: str) -> list[str]:
    me = httpx.get(
        f"{site.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert me.status_code == 200, me.text
    scoped: list[str] = me.json()["scoped_permissions"]
    return scoped


def test_an_admin_adds_and_removes_a_policy_and_it_applies_at_once(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 404")  # the unknown source below is answered with 404
    made = httpx.post(
        f"{site.base}/api/v1/users/viewer/tokens", headers=site.server.headers, timeout=30
    )
    token = made.json()["token"]
    assert _scoped(site, token) == []

    browser_login(page, site, "admin", "/admin/policies")
    tab = page.locator("nav[aria-label=Administration] a[href='/admin/policies']")
    assert tab.get_attribute("aria-current") == "page"
    assert axe(page) == []

    # a source scope must name a source: the form comes back with the error by the field
    page.select_option("#pol-user", "viewer")
    page.select_option("#pol-kind", "source")
    page.fill("#pol-scope", "nosuch")
    page.click("form[action='/admin/policies'] button[type=submit]")
    error = page.locator("#err-scope")
    error.wait_for()
    assert "nosuch" in error.inner_text()
    assert page.input_value("#pol-scope") == "nosuch"  # what was typed is kept
    assert axe(page) == []

    page.select_option("#pol-kind", "domain")
    page.fill("#pol-scope", "pol-browser-finance")
    page.select_option("#pol-role", "steward")
    page.check("input[name=unmasked]")
    page.click("form[action='/admin/policies'] button[type=submit]")
    page.wait_for_url("**/admin/policies?created=*")
    row = page.locator("tr", has_text="pol-browser-finance")
    assert row.count() == 1
    text = row.inner_text()
    assert "viewer" in text and "catalog:write" in text and "pii:read" in text
    assert "unmasked" in text.lower()  # a badge (shown upper-case)
    assert axe(page) == []
    screenshot(page, "policies")
    # in force at once, on the API
    assert _scoped(site, token) == [
        "catalog:write on domain pol-browser-finance",
        "pii:read on domain pol-browser-finance",
    ]

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="Remove").click()
    page.wait_for_url("**/admin/policies?deleted=*")
    assert "stops now" in page.inner_text(".alert.ok")
    assert page.locator("tr", has_text="pol-browser-finance").count() == 0
    assert _scoped(site, token) == []


def test_a_viewer_cannot_open_the_policies_page(page: Any, site: Site, browser_errors: Any) -> None:
    browser_errors.allow(r"status of 403")
    browser_login(page, site, "viewer", "/")
    answer = page.goto(f"{site.base}/admin/policies")
    assert answer is not None and answer.status == 403
    assert "admin" in page.inner_text("main")


def test_a_policy_lets_a_viewer_curate_its_domain_on_the_asset_page(site: Site) -> None:
    """The asset page's edit controls and edits follow the policy: a viewer holding steward on
    a domain edits that domain's table and is refused on another's."""
    admin = {**site.server.headers}
    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=admin, timeout=30)
    tables = api.get("/assets", params={"type": "table", "limit": 2}).json()["items"]
    mine, other = tables[0], tables[1]
    before = {t["id"]: (t.get("domain"), t.get("owner")) for t in tables}
    policy_id = None
    made_domains: list[str] = []
    try:
        for table, domain in ((mine, "pol-ui-fin"), (other, "pol-ui-other")):
            # domains are entities: an asset can only be put in one that exists
            created = api.post("/domains", json={"name": domain})
            assert created.status_code in (201, 409), created.text
            if created.status_code == 201:
                made_domains.append(domain)
            assert api.patch(f"/assets/{table['id']}", json={"domain": domain}).is_success
        made = api.post(
            "/policies",
            json={
                "user": "viewer",
                "role": "steward",
                "scope_kind": "domain",
                "scope": "pol-ui-fin",
            },
        )
        assert made.status_code == 201, made.text
        policy_id = made.json()["id"]
        viewer = site.login("viewer")
        page = viewer.get(f"/assets/{mine['id']}")
        assert page.status_code == 200
        assert f'action="/assets/{mine["id"]}/field"' in page.text  # edit controls shown
        refused = viewer.get(f"/assets/{other['id']}")
        assert f'action="/assets/{other["id"]}/field"' not in refused.text
        token = site.csrf(viewer, f"/assets/{mine['id']}")
        form = {"field": "owner", "value": "pol-ui-owner", "csrf_token": token}
        done = viewer.post(f"/assets/{mine['id']}/field", data=form)
        assert done.status_code in (200, 303), done.text[:300]
        assert api.get(f"/assets/{mine['id']}").json()["owner"] == "pol-ui-owner"
        denied = viewer.post(f"/assets/{other['id']}/field", data=form)
        assert denied.status_code == 403
        assert "pol-ui-fin" in denied.text  # the refusal says where the policy does grant it
        assert api.get(f"/assets/{other['id']}").json().get("owner") != "pol-ui-owner"
    finally:
        if policy_id is not None:
            api.delete(f"/policies/{policy_id}")
        for table_id, (domain, owner) in before.items():
            api.patch(f"/assets/{table_id}", json={"domain": domain, "owner": owner})
        for domain in made_domains:
            api.delete(f"/domains/{domain}")
        api.close()
