"""The quality and compliance pages in Chromium: acknowledging a finding, filters in the URL
with a working Back button, no console errors, and axe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_acknowledge_a_finding_and_see_it_after_reload(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    findings = (
        httpx.get(
            f"{site.base}/api/v1/compliance/findings",
            params={"framework": "hipaa", "status": "open", "limit": 500},
            headers=site.server.headers,
        ).json()["items"]
        or httpx.get(
            f"{site.base}/api/v1/compliance/findings",
            params={"framework": "pci_dss", "status": "open", "limit": 500},
            headers=site.server.headers,
        ).json()["items"]
    )
    target = next(f for f in findings if f["acknowledged_by"] is None)
    fid = target["id"]
    browser_login(page, site, "steward", f"/compliance?framework={target['framework']}")
    assert axe(page) == []
    screenshot(page, "compliance", full_page=False)
    page.click(f"#finding-{fid} button:has-text('Acknowledge')")
    page.wait_for_selector(f"#finding-{fid} :text('acknowledged by steward')")
    assert "acknowledged" in page.inner_text("#toast")
    page.reload()
    assert "acknowledged by steward" in page.inner_text(f"#finding-{fid}")
    page.click(f"#finding-{fid} a[href='/compliance/findings/{fid}']")
    page.wait_for_url(f"{site.base}/compliance/findings/{fid}")
    history = page.inner_text("#history-h + table")
    assert "acknowledged" in history and "steward" in history
    assert axe(page) == []
    screenshot(page, "finding")


def test_quality_filters_live_in_the_url_and_back_works(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "viewer", "/quality")
    assert axe(page) == []
    screenshot(page, "quality")
    page.select_option("#q-status", "failing")
    page.fill("#q-source", "warehouse")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"{site.base}/quality?source=warehouse&domain=&status=failing")
    assert page.locator("tr.rule.passing").count() == 0
    assert page.locator("tr.rule.failing").count() > 0
    page.locator("tr.details summary").first.click()
    assert page.locator("table.examples").first.is_visible()
    page.go_back()
    page.wait_for_url(f"{site.base}/quality")
    assert page.locator("tr.rule.passing").count() > 0
