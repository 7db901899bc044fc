"""Channels and the delivery log in Chromium: an admin creates a webhook channel through the
form (a bad URL comes back with the reason), edits it, presses **Send test**, and watches the
delivery log turn the test message delivered (it refreshes itself) while a local HTTP receiver
gets the signed request; a viewer is kept out. No console errors, axe on every page.

Objects made here: channels named ``ui-*``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.delivery_receivers import http_receiver, wait_for
from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_create_edit_and_send_a_test_message_from_the_admin_pages(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 422")  # the refused form's answer
    with http_receiver() as web:
        browser_login(page, site, "admin", "/admin/channels")
        assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Channels"
        assert axe(page) == []

        page.fill("#new-name", "ui-hook")
        page.fill("#new-url", "ftp://example.com/hook")
        page.click("form[action='/admin/channels'] button[type=submit]")
        page.wait_for_selector("#err-url")
        assert "http:// or https://" in page.inner_text("#err-url")
        assert page.input_value("#new-name") == "ui-hook"  # the form keeps what was typed

        page.fill("#new-url", f"{web.base}/ui")
        page.fill("#new-secret", "ui-secret")
        page.click("form[action='/admin/channels'] button[type=submit]")
        page.wait_for_selector(".alert.ok")
        assert "ui-hook" in page.inner_text(".alert.ok")
        row = page.locator("#channel-ui-hook")
        assert "***" in row.inner_text() and "ui-secret" not in page.content()

        row.locator("details.edit-channel summary").click()
        row.locator("input[name=rate]").fill("30")
        row.locator("details.edit-channel button[type=submit]").click()
        page.wait_for_selector(".alert.ok:has-text('was saved')")
        assert "30/min" in page.locator("#channel-ui-hook").inner_text()
        screenshot(page, "channels", full_page=True)

        page.locator("#channel-ui-hook button:text('Send test')").click()
        page.wait_for_url("**/admin/deliveries?channel=ui-hook*")
        assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Deliveries"
        # the log refreshes itself every 3 s while something shown is pending
        page.wait_for_selector("#delivery-log .badge.ok:text('delivered')", timeout=60_000)
        assert axe(page) == []
        screenshot(page, "deliveries", full_page=True)
        (sent,) = wait_for(lambda: web.at("/ui"), what="the test request")
        assert sent.signature_ok("ui-secret")
        assert sent.json()["subject"] == "Sounding test message to 'ui-hook'"


def test_a_viewer_is_kept_out_of_channels_and_deliveries(site: Site) -> None:
    viewer = site.as_user("viewer")
    for path in ("/admin/channels", "/admin/deliveries"):
        assert viewer.get(path).status_code == 403
    admin = site.as_user("admin")
    bad = admin.get("/admin/deliveries", params={"status": "lost"})
    assert bad.status_code == 422 and "Unknown delivery status" in bad.text
