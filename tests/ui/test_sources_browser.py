"""The source pages in Chromium: add a source through the form (a bad URL first: the
connector's error on the form, nothing saved), test it, scan it and watch the progress rise to
completion, then compare what the page shows with the API. No console errors, axe clean."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLES = 300  # enough for discovery and profiling to last a few of the page's updates


def _api(site: Site, path: str) -> Any:
    answer = httpx.get(f"{site.base}/api/v1{path}", headers=site.server.headers, timeout=30)
    return answer


def _db(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        for i in range(TABLES):
            db.execute(f"CREATE TABLE orders_{i:02} (id INTEGER PRIMARY KEY, item TEXT, qty INT)")
            db.executemany(
                f"INSERT INTO orders_{i:02} (item, qty) VALUES (?, ?)",
                [(f"item {n}", n) for n in range(50)],
            )
        db.execute("CREATE VIEW big_orders AS SELECT id, qty FROM orders_00 WHERE qty > 10")
    return path


def _number(page: Any, selector: str) -> int:
    return int(page.inner_text(selector).replace(",", ""))


def test_add_test_scan_and_watch_a_source(
    page: Any,
    site: Site,
    tmp_path: Path,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    name = f"srcui-browser-{uuid.uuid4().hex[:6]}"
    db = _db(tmp_path / "shop.db")
    browser_login(page, site, "admin", "/sources")
    assert axe(page) == []
    screenshot(page, "list")

    page.click("text=Add a source")
    page.wait_for_url(f"{site.base}/sources/_new")
    assert axe(page) == []
    screenshot(page, "kinds")
    page.click("a[href='/sources/_new?kind=sql']")
    page.fill("#f-name", name)
    missing = tmp_path / "nowhere.db"
    page.fill("#f-url", f"sqlite:///{missing}")
    page.fill("#f-max", "4")
    browser_errors.allow(r"status of 422 .*/sources/_new")  # the refused form, as it should be
    page.click("button:has-text('Add source')")
    page.wait_for_selector("#url-error")
    assert page.inner_text("#url-error") == f"SQLite file not found: {missing}"
    assert page.get_attribute("#f-url", "aria-invalid") == "true"
    assert _api(site, f"/sources/{name}").status_code == 404  # nothing saved
    assert axe(page) == []
    screenshot(page, "bad-url")

    page.fill("#f-url", f"sqlite:///{db}")
    page.click("form.source-form button:has-text('Test connection')")  # before saving
    page.wait_for_selector("#test-result.alert.ok")
    assert _api(site, f"/sources/{name}").status_code == 404  # a test saves nothing
    page.click("button:has-text('Add source')")
    page.wait_for_url(f"{site.base}/sources/{name}?added=1")
    stored = _api(site, f"/sources/{name}").json()
    assert stored["options"] == {"max_concurrent": 4} and stored["kind"] == "sql"
    assert axe(page) == []
    screenshot(page, "added")

    page.click("button:has-text('Test connection')")
    page.wait_for_selector("#test-result.alert.ok")
    assert "Connection works" in page.inner_text("#test-result")
    screenshot(page, "tested", full_page=False)

    page.check("input[name=profile]")
    page.check("input[name=classify]")  # more stages: more of the page's updates to watch
    page.click("button:has-text('Scan now')")
    page.wait_for_selector("#live")
    scan_id = int(page.url.split("scan=")[1].split("#")[0])
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        value, status = page.evaluate(  # one read of the DOM: a swap may land between two
            """() => [document.querySelector('#scan-progress').value,
                      document.querySelector('#live').dataset.status]"""
        )
        seen.append(int(value))
        if status not in ("pending", "running"):
            break
        if 0 < seen[-1] < 100 and seen.count(seen[-1]) == 1:
            screenshot(page, "scanning", full_page=False)  # the last one taken mid-way
        time.sleep(0.25)
    assert page.get_attribute("#live", "data-status") == "completed"
    assert seen == sorted(seen), seen  # it only rises
    assert seen[-1] == 100 and len(set(seen)) >= 3, seen  # and shows steps on the way

    scan = _api(site, f"/scans/{scan_id}").json()
    assert scan["status"] == "completed"
    assert _number(page, "[data-result=objects]") == scan["objects_total"] == TABLES + 1
    assert _number(page, "[data-result=created]") == scan["report"]["created"]
    assert _number(page, "[data-result=failures]") == scan["report"]["failures_total"] == 0
    tables = _api(site, f"/assets?source={name}&type=table&limit=1").json()["total"]
    columns = _api(site, f"/assets?source={name}&type=column&limit=1").json()["total"]
    assert _number(page, "[data-count=tables]") == tables == TABLES
    assert _number(page, "[data-count=columns]") == columns == TABLES * 3 + 2
    execution = _api(site, f"/executions/{scan['execution_id']}").json()
    assert [s["id"] for s in execution["steps"]] == ["discover", "profile", "classify", "lineage"]
    assert page.locator("[data-stage]").count() == 4
    profiled = next(s for s in execution["steps"] if s["id"] == "profile")
    assert page.inner_text("[data-stage=profile] td.num").startswith(
        f"{profiled['tasks_done']} / {profiled['tasks_total']}"
    )
    assert page.locator(f"a[href='/executions/{scan['execution_id']}']").count() >= 1
    assert page.locator(f"#scan-history a[href='/sources/{name}/scans/{scan_id}']").count() == 1
    # the rest of the page followed: health and the Scan now button
    assert page.inner_text("#source-health").lower() == "healthy"
    assert page.is_enabled("#scan-button button")
    assert axe(page) == []
    screenshot(page, "scanned")

    page.click(f"#scan-history a[href='/sources/{name}/scans/{scan_id}']")
    page.wait_for_url(f"{site.base}/sources/{name}/scans/{scan_id}")
    assert "main.orders_00" in page.inner_text("main")
    assert axe(page) == []
    screenshot(page, "scan-changes")

    page.goto(f"{site.base}/sources/{name}/edit")
    assert page.input_value("#f-max") == "4"
    assert axe(page) == []
    screenshot(page, "edit")


def test_a_viewer_sees_the_sources_without_controls(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    first = _api(site, "/sources?limit=1").json()["items"][0]["name"]
    browser_login(page, site, "viewer", "/sources")
    assert page.locator("text=Add a source").count() == 0
    page.click(f"a[href='/sources/{first}']")
    page.wait_for_url(f"{site.base}/sources/{first}")
    for control in ("Test connection", "Scan now", "Edit"):
        assert page.locator(f"button:has-text('{control}'), a:has-text('{control}')").count() == 0
    assert axe(page) == []
    screenshot(page, "viewer")
