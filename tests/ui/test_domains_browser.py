"""The domain pages in Chromium: a steward creates a domain and a sub-domain with the forms,
puts a table in it from the asset page, sees it on the domain page, renames it, deletes an
empty one after confirming; no console errors, and axe finds nothing serious.

Objects changed here: domains named ``Br*`` and the domain of one demo table (cleared)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_steward_organises_a_table_into_domains(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30)
    table = api.get("/assets", params={"type": "table", "limit": 1}).json()["items"][0]
    try:
        browser_login(page, site, "steward", "/domains")
        assert axe(page) == []
        page.fill("#d-name", "BrSales")
        page.fill("#d-owners", "steward, ann")
        page.fill("#d-description", "Everything we sell, and to whom.")
        page.click("form[action='/domains'] button[type=submit]")
        page.wait_for_selector("text=Domain created.")
        sales_url = page.url.split("?")[0]
        page.goto(f"{site.base}/domains")
        page.fill("#d-name", "BrOnline")
        page.select_option("#d-parent", "BrSales")
        page.click("form[action='/domains'] button[type=submit]")
        page.wait_for_selector("text=Domain created.")
        assert "BrSales" in page.inner_text("nav[aria-label=Breadcrumb]")

        page.goto(f"{site.base}/assets/{table['id']}")
        page.click("[data-field=domain] summary")
        page.fill("#edit-domain", "bronline")
        page.click("[data-field=domain] button[type=submit]")
        page.wait_for_selector("[data-field=domain] a:has-text('BrOnline')")
        page.click("[data-field=domain] a:has-text('BrOnline')")
        page.wait_for_selector("#domain-assets")
        assert table["qualified_name"] in page.inner_text("#domain-assets")
        assert axe(page) == []
        screenshot(page, "domain")

        page.goto(sales_url)
        assert "BrOnline" in page.inner_text("#subdomains")
        page.fill("#e-name", "BrCommerce")
        page.click("form[action$='/edit'] button[type=submit]")
        page.wait_for_selector("text=Domain saved.")
        assert page.inner_text("h1") == "BrCommerce"
        assert page.is_disabled("form[action$='/delete'] button")  # it has a sub-domain
        page.goto(f"{site.base}/domains")
        assert axe(page) == []
        screenshot(page, "tree")

        # the asset's domain is refused when unknown, with the reason on the asset page
        browser_errors.allow(r"422")
        page.goto(f"{site.base}/assets/{table['id']}")
        page.click("[data-field=domain] summary")
        page.fill("#edit-domain", "NoSuchDomain")
        page.click("[data-field=domain] button[type=submit]")
        page.wait_for_selector("text=Unknown domain 'NoSuchDomain'")
        screenshot(page, "unknown-domain", full_page=False)
    finally:
        api.patch(f"/assets/{table['id']}", json={"domain": None})
    online = api.get("/domains/BrOnline").json()
    page.goto(f"{site.base}/domains/{online['id']}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/delete'] button")
    page.wait_for_selector("text=Domain deleted.")
    assert "BrOnline" not in page.inner_text(".domain-tree")
    assert api.delete("/domains/BrCommerce").status_code == 204
    api.close()
