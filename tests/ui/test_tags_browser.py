"""The tag taxonomy page in Chromium: a steward creates a group with the form and sees its
tags; no console errors, and axe finds nothing serious. Changes: group ``brtier`` (deleted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_steward_creates_a_tag_group(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "steward", "/taxonomy")
    assert axe(page) == []
    page.fill("#t-name", "brtier")
    page.fill("#t-description", "How much we care about an asset")
    page.fill("#t-tags", "gold: Business critical, watched daily\nsilver: Important\nbronze")
    page.click("#new-group button[type=submit]")
    page.wait_for_selector("text=Tag group created.")
    card = page.inner_text("#group-brtier")
    assert "brtier.gold" in card and "Business critical" in card and "admin, steward" in card
    assert axe(page) == []
    screenshot(page, "taxonomy")
    headers = site.server.headers
    assert httpx.delete(f"{site.base}/api/v1/tag-groups/brtier", headers=headers).status_code == 204
