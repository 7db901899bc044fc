"""Catalog curation in Chromium: create and edit a dashboard by hand, bulk edit search results
with a preview first, and import a file with bad lines (nothing written, each line listed).
No console errors, axe on every page.

Objects made here: the source ``bi-ui`` and its assets, the tag ``bulk-ui``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ORDERS = "urn:sounding:warehouse:main.stg_orders"


def _asset(site: Site, urn: str) -> dict[str, Any]:
    answer = site.as_user("admin").get(
        "/api/v1/assets/by-urn", params={"urn": urn}, headers=site.server.headers
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_create_and_edit_an_asset_by_hand(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 422")  # the bad form below is answered with 422
    browser_login(page, site, "steward", "/catalog")
    assert axe(page) == []
    page.select_option("#a-type", "dashboard")
    page.fill("#a-name", "Ops board")
    page.fill("#a-source", "bi-ui")
    page.fill("#a-url", "https://bi.example.com/ops")
    page.fill("#a-upstream", ORDERS)
    screenshot(page, "new-asset-form")
    page.click("#new-asset button[type=submit]")
    page.wait_for_url("**/assets/*")
    urn = 'urn:sounding:bi-ui:dashboard."Ops board"'
    board = _asset(site, urn)
    assert board["properties"] == {"url": "https://bi.example.com/ops"}
    screenshot(page, "asset-page")
    # a bad parent is shown on the form, which keeps what was typed
    page.goto(f"{site.base}/catalog")
    page.fill("#a-name", "Chart")
    page.select_option("#a-type", "chart")
    page.fill("#a-source", "bi-ui")
    page.fill("#a-parent", ORDERS)
    page.click("#new-asset button[type=submit]")
    assert "sits under a dashboard" in page.inner_text("#create-error")
    assert page.input_value("#a-name") == "Chart"
    # listed, then edited
    page.goto(f"{site.base}/catalog")
    page.click(f"a[href='/catalog/assets/{board['id']}/edit']")
    assert axe(page) == []
    page.fill("#e-owner", "ops-team")
    page.fill("#e-tags", "ops, kpi")
    screenshot(page, "edit-form")
    page.click("#edit-asset button[value=save]")
    page.wait_for_url(f"**/assets/{board['id']}")
    edited = _asset(site, urn)
    assert edited["owner"] == "ops-team" and edited["tags"] == ["kpi", "ops"]


def test_bulk_edit_search_results_with_a_preview(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "steward", "/search")
    page.goto(f"{site.base}/search?q=orders&type=view")
    page.click("#bulk-edit")
    page.wait_for_url("**/catalog/bulk?*")
    assert axe(page) == []
    boxes = page.locator("input[name=urn]")
    assert boxes.count() >= 2
    urns = [boxes.nth(i).get_attribute("value") for i in range(2)]
    page.check("#select-all")  # ticks them all; keep the first two
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.uncheck("#select-all")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.fill("#c-add-tags", "bulk-ui")
    page.select_option("#c-criticality", "high")
    page.click("#bulk-form button[value=preview]")
    page.wait_for_selector("#bulk-result")
    assert "Preview: 2 of 2 assets would change" in page.inner_text("#bulk-result h2")
    assert "bulk-ui" in page.inner_text("#bulk-result table")
    assert axe(page) == []
    screenshot(page, "bulk-preview")
    assert all("bulk-ui" not in _asset(site, u)["tags"] for u in urns if u)  # a dry run
    page.click("#bulk-form button[value=apply]")
    page.wait_for_selector("#bulk-result")
    assert "Applied: 2 of 2 assets changed" in page.inner_text("#bulk-result h2")
    screenshot(page, "bulk-applied")
    for u in urns:
        assert u and "bulk-ui" in _asset(site, u)["tags"]
        assert _asset(site, u)["criticality"] == "high"


def test_import_lists_every_bad_line_and_writes_nothing(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    tmp_path: Path,
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 422")  # the bad file is answered with 422
    exported = site.as_user("steward").get("/catalog/export?format=jsonl")
    assert exported.status_code == 200 and '"kind": "asset"' in exported.text
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"kind": "asset", "urn": "' + ORDERS + '", "owner": "should-not-stick"}\n'
        '{"kind": "asset", "urn": "urn:sounding:warehouse:main.nope"}\n'
        '{"kind": "dashboard"}\n'
    )
    browser_login(page, site, "steward", "/catalog")
    page.set_input_files("#i-file", str(bad))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-errors")
    text = page.inner_text("#import-errors")
    assert "2 of 3 records are invalid" in text and "scan its source first" in text
    assert "kind 'dashboard'" in text
    assert axe(page) == []
    screenshot(page, "import-errors")
    assert _asset(site, ORDERS)["owner"] != "should-not-stick"
    good = tmp_path / "good.jsonl"
    good.write_text(exported.text)
    page.set_input_files("#i-file", str(good))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-done")
    assert "unchanged" in page.inner_text("#import-done")
