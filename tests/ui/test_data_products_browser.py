"""A data product in Chromium: created from the form with ports, published, its page with
ports and health; no console errors, and axe finds nothing serious.

Objects changed here: the data product ``BrProduct`` (deleted at the end)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_steward_creates_and_publishes_a_product(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30)
    tables = api.get("/assets", params={"type": "table", "limit": 2}).json()["items"]
    browser_login(page, site, "steward", "/data-products")
    assert axe(page) == []
    page.fill("#n-name", "BrProduct")
    page.fill("#n-description", "Orders joined to their customers, for finance.")
    page.fill("#n-sla", "Refreshed daily by 06:00 UTC")
    page.fill("#n-fresh", "24")
    page.fill("#n-owners", "steward")
    page.fill("#n-inputs", tables[0]["urn"])
    page.fill("#n-outputs", tables[1]["urn"])
    page.click("#new-product button[type=submit]")
    page.wait_for_selector("text=Data product created as a draft.")
    page.click("form[action$='/status'] button:has-text('Publish')")
    page.wait_for_selector("text=Data product published.")
    assert page.inner_text("#product-status").lower() == "published"  # badges are upper case
    assert tables[1]["qualified_name"] in page.inner_text("#outputs")
    assert "open finding" in page.inner_text("#product-health")
    assert axe(page) == []
    screenshot(page, "product")
    page.goto(f"{site.base}/data-products")
    assert "BrProduct" in page.inner_text("#products")
    screenshot(page, "list", full_page=False)
    product = api.get("/data-products/BrProduct").json()
    assert api.patch(f"/data-products/{product['id']}", json={"status": "deprecated"}).is_success
    assert api.delete(f"/data-products/{product['id']}").status_code == 204
    api.close()
