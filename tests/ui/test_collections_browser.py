"""Collections in Chromium: a viewer adds assets from their pages with "Add to collection"
(a new collection, then an existing one), finds the collection through the user menu, sees
its assets (a deleted one marked removed) and shares it; another user sees it read-only. No
console errors, and axe finds nothing serious.

Objects changed here: the collection ``BrPicks`` and the manual dashboard ``BrBoard`` (both
deleted at the end)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_viewer_collects_and_shares_assets(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30)
    table = api.get("/assets", params={"type": "table", "limit": 1}).json()["items"][0]
    board = api.post("/assets", json={"type": "dashboard", "name": "BrBoard", "source": "bi"})
    assert board.status_code == 201, board.text
    board_id = board.json()["id"]

    browser_login(page, site, "viewer", f"/assets/{table['id']}")
    control = page.wait_for_selector("#add-to-collection form")
    assert control is not None
    page.fill("#atc-new", "BrPicks")
    page.click("#add-to-collection button[type=submit]")
    page.wait_for_selector("#add-to-collection >> text=Added to BrPicks.")
    assert "BrPicks" in page.inner_text("#add-to-collection .in-collections")
    assert axe(page, "#add-to-collection") == []
    screenshot(page, "asset-added", full_page=False)

    page.goto(f"{site.base}/assets/{board_id}")
    page.wait_for_selector("#atc-collection")
    page.select_option("#atc-collection", label="BrPicks")
    page.click("#add-to-collection button[type=submit]")
    page.wait_for_selector("#add-to-collection >> text=Added to BrPicks.")
    # the board goes (a manual asset, deleted by hand): the collection keeps it, marked
    assert api.delete(f"/assets/{board_id}").is_success

    page.click("header a.my-collections")
    page.wait_for_url(f"{site.base}/collections")
    assert "BrPicks" in page.inner_text("#my-collections")
    assert axe(page) == []
    screenshot(page, "list")
    page.click("#my-collections a:has-text('BrPicks')")
    page.wait_for_selector("#collection-items")
    rows = page.inner_text("#collection-items")
    assert table["name"] in rows
    # the board's row keeps its name and type, marked removed (the badge is upper case)
    board_row = page.inner_text("#collection-items tr.removed")
    assert "BrBoard" in board_row and "dashboard" in board_row and "removed" in board_row.lower()
    page.check("#share-form input[value=shared]")
    page.click("#share-form button[type=submit]")
    page.wait_for_selector("text=Collection shared.")
    assert page.inner_text("#collection-shared") == "every catalog reader"
    assert axe(page) == []
    screenshot(page, "collection")

    # another user sees it among those shared with them, without the owner's controls
    steward = site.as_user("steward")
    listed = steward.get("/collections")
    assert listed.status_code == 200 and "BrPicks" in listed.text
    cid = int(page.url.split("/collections/")[1].split("?")[0])
    shown = steward.get(f"/collections/{cid}")
    assert shown.status_code == 200 and table["name"] in shown.text
    assert "share-form" not in shown.text and "Delete collection" not in shown.text
    refused = steward.post(
        f"/collections/{cid}/delete", data={"csrf_token": site.csrf(steward, "/collections")}
    )
    assert refused.status_code == 403

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/delete'] button")
    page.wait_for_selector("text=Collection deleted.")
    assert "BrPicks" not in page.inner_text("main")
    api.close()
