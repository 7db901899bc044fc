"""Alerts in Chromium: a viewer subscribes to a table from its page, a label confirmed on one
of its columns reaches their inbox (the header's bell shows it unread), they open the inbox,
mark it read (the badge goes), see the subscription on /subscriptions and unsubscribe from
the table's page. No console errors, and axe finds nothing serious.

Objects changed here: the label ``Custom.BrAlert`` on one column of the first table (confirmed,
then rejected) and the viewer's subscription (deleted at the end)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LABEL = "Custom.BrAlert"


def test_a_viewer_subscribes_and_reads_the_inbox(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 422")  # the refused subscription below is answered with 422
    with httpx.Client(
        base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30
    ) as api:
        _walk(page, site, api, screenshot, axe)


def _walk(
    page: Any,
    site: Site,
    api: httpx.Client,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
) -> None:
    table = api.get("/assets", params={"type": "table", "limit": 1}).json()["items"][0]
    detail = api.get(f"/assets/{table['id']}").json()
    column = next(c for c in detail["children"] if c["type"] == "column")

    browser_login(page, site, "viewer", f"/assets/{table['id']}")
    page.wait_for_selector(".subscribe button:has-text('Subscribe')")
    assert axe(page, ".subscribe") == []
    page.click(".subscribe button")
    page.wait_for_selector(".subscribe button:has-text('Unsubscribe')")

    done = api.post(f"/assets/{column['id']}/classifications/{LABEL}/confirm", json={})
    assert done.status_code == 200, done.text
    deadline = time.monotonic() + 60  # the server's dispatcher looks every second
    while True:
        page.goto(f"{site.base}/inbox?unread=true")
        if page.query_selector(f"#notifications tr.unread:has-text('{LABEL}')"):
            break
        assert time.monotonic() < deadline, page.inner_text("main")
        time.sleep(0.5)
    page.wait_for_selector("#inbox-bell .badge")
    row = page.inner_text(f"#notifications tr:has-text('{LABEL}')")
    assert f"asset {table['urn']}" in row and column["urn"] in row
    assert axe(page) == []
    screenshot(page, "inbox")

    unread = int(page.inner_text("#inbox-bell .badge"))
    page.click(f"#notifications tr:has-text('{LABEL}') button:has-text('Mark read')")
    page.wait_for_url(f"{site.base}/inbox")
    page.wait_for_selector("#inbox-bell")
    left = page.query_selector("#inbox-bell .badge")
    assert (int(left.inner_text()) if left else 0) == unread - 1

    page.click("#inbox-bell")
    page.goto(f"{site.base}/subscriptions")
    assert table["urn"] in page.inner_text("#subscriptions")
    assert axe(page) == []
    screenshot(page, "subscriptions")

    page.goto(f"{site.base}/assets/{table['id']}")
    page.click(".subscribe button:has-text('Unsubscribe')")
    page.wait_for_selector(".subscribe button:has-text('Subscribe')")
    screenshot(page, "asset", full_page=False)
    page.goto(f"{site.base}/subscriptions")
    assert table["urn"] not in page.inner_text("main")

    # the form: a source, one event kind; then delete it
    page.select_option("#sub-kind", "source")
    page.fill("#sub-ref", table["source"])
    page.check("input[name=events][value=source_unreachable]")
    page.click("#subscribe-form button[type=submit]")
    page.wait_for_url(f"{site.base}/subscriptions?done=add")
    row = page.inner_text("#subscriptions")
    assert table["source"] in row and "source unreachable" in row
    page.fill("#sub-ref", "nosuch-source")
    page.select_option("#sub-kind", "source")
    page.click("#subscribe-form button[type=submit]")
    assert "Source 'nosuch-source' not found" in page.inner_text("#form-error")
    page.click("#subscriptions button:has-text('Delete')")
    page.wait_for_url(f"{site.base}/subscriptions?done=delete")
    assert page.query_selector("#no-subscriptions") is not None
    api.post(f"/assets/{column['id']}/classifications/{LABEL}/reject", json={})
