"""Custom properties in Chromium: a steward defines an enum property on ``/properties``
(reached from the tag taxonomy page), then sets it on a table's page with the select its type
calls for, and a wrong number is refused with the reason; no console errors, axe finds nothing
serious. Changes: properties ``uitier`` and ``uibudget`` (deleted with their values)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_steward_defines_and_sets_a_property(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    headers = site.server.headers
    api = f"{site.base}/api/v1"
    browser_login(page, site, "steward", "/taxonomy")
    page.click("a[href='/properties']")
    page.wait_for_url(f"{site.base}/properties")
    assert axe(page) == []
    page.fill("#p-name", "uitier")
    page.select_option("#p-type", "enum")
    page.fill("#p-values", "gold\nsilver")
    page.fill("#p-description", "How much we care about a table")
    page.check("input[name=asset_types][value=table]")
    page.click("#new-property button[type=submit]")
    page.wait_for_selector("text=Property defined.")
    row = page.inner_text("#property-uitier")
    assert "enum" in row and "gold, silver" in row and "table" in row
    assert httpx.post(
        f"{api}/custom-properties", json={"name": "uibudget", "type": "number"}, headers=headers
    ).is_success
    screenshot(page, "definitions")
    try:
        found = httpx.get(
            f"{api}/assets", params={"type": "table", "limit": 1}, headers=headers
        ).json()
        asset_id = found["items"][0]["id"]
        page.goto(f"{site.base}/assets/{asset_id}")
        box = page.locator("[data-property=uitier]")
        assert "—" in box.inner_text()
        box.locator("summary").click()
        assert box.locator("select#prop-uitier option").all_inner_texts() == [
            "(none)",
            "gold",
            "silver",
        ]
        box.locator("select").select_option("gold")
        box.locator("button[type=submit]").click()
        page.wait_for_selector("[data-property=uitier] .value a:has-text('gold')")
        budget = page.locator("[data-property=uibudget]")
        budget.locator("summary").click()
        assert budget.locator("input[name=value]").get_attribute("type") == "number"
        assert axe(page) == []
        screenshot(page, "asset")
        held = httpx.get(f"{api}/assets/{asset_id}", headers=headers).json()
        assert held["custom_properties"]["uitier"] == "gold"
        hits = httpx.get(f"{api}/search", params={"property": "uitier:gold"}, headers=headers)
        assert [h["id"] for h in hits.json()["items"]] == [asset_id]
    finally:
        for name in ("uitier", "uibudget"):
            httpx.delete(f"{api}/custom-properties/{name}?force=true", headers=headers)
