"""The workflow and template pages in Chromium: a dependency cycle typed into the YAML editor
shows on its line and saves nothing; fixed, saved and run to completion; a template made
into a workflow through the gallery and run. No console errors, axe, screenshots."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.conftest import BrowserErrors
from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CYCLE = """\
name: {name}
description: three steps in a ring, then fixed
params:
  rounds: 2
steps:
  - id: extract
    type: noop
    config: {{tasks: 3}}
    depends_on: [load]
  - id: transform
    type: noop
    depends_on:
      - extract
  - id: load
    type: sleep
    config: {{seconds: 0.05}}
    depends_on:
      - transform
"""


def _allow_duration_chart(errors: BrowserErrors) -> None:
    # the duration chart fragment belongs to the insights pages (another branch): until it is
    # mounted its container's request answers 404, which htmx and Chromium log
    errors.allow(r"/insights/workflows/")
    errors.allow(r"htmx:responseError")


def _api(site: Site, path: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{site.base}/api/v1{path}", params=params, headers=site.server.headers, timeout=30
    )


def _wait_finished(site: Site, workflow: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = _api(site, "/executions", workflow=workflow).json()["items"]
        if items and items[0]["status"] in ("completed", "failed", "cancelled"):
            found: dict[str, Any] = items[0]
            return found
        time.sleep(0.3)
    raise AssertionError(f"no execution of {workflow} finished in {timeout} s")


def test_cycle_shows_on_its_line_then_fixed_saved_and_run(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: BrowserErrors,
) -> None:
    _allow_duration_chart(browser_errors)
    name = f"uiwf-browser-{uuid.uuid4().hex[:8]}"
    text = CYCLE.format(name=name)
    # a rejected document is the form again with status 422, which Chromium logs
    browser_errors.allow(r"status of 422 .*/workflows/new")
    browser_login(page, site, "steward", "/workflows/new")
    page.fill("#yaml-text", text)
    page.click("form.yaml-form button[type=submit]")
    flagged = page.wait_for_selector(".yaml-lines li.has-error")
    line = int(flagged.get_attribute("data-line"))
    assert "dependency cycle" in flagged.inner_text()
    assert text.splitlines()[line - 1].strip() in ("depends_on: [load]", "- extract", "- transform")
    # the editor's gutter marks the same line, and the text typed is still there
    assert page.inner_text(".code-editor .gutter .err") == str(line)
    assert page.input_value("#yaml-text") == text
    assert _api(site, f"/orchestrations/{name}").status_code == 404
    assert axe(page) == []
    screenshot(page, "cycle-error")

    page.fill("#yaml-text", text.replace("    depends_on: [load]\n", ""))
    page.click("form.yaml-form button[type=submit]")
    page.wait_for_url(f"{site.base}/workflows/{name}?done=saved")
    page.wait_for_selector('#dag[data-drawn="3"]')
    assert _api(site, f"/orchestrations/{name}").json()["version"] == 1

    page.fill("#run-rounds", "5")
    page.click("form.run-form button[type=submit]")
    page.wait_for_selector("#started")
    finished = _wait_finished(site, name)
    assert finished["status"] == "completed" and finished["params"] == {"rounds": 5}
    page.reload()
    row = page.inner_text(f"#executions tr:has(a[href='/executions/{finished['id']}'])")
    assert "completed" in row.lower()
    page.wait_for_selector('#dag[data-drawn="3"]')
    assert axe(page) == []
    screenshot(page, "workflow")

    page.goto(f"{site.base}/workflows?q=uiwf-browser")
    assert name in page.inner_text("table.workflows")
    switch = page.locator(f"table.workflows tr:has-text('{name}') button[role=switch]")
    assert switch.get_attribute("aria-checked") == "true"
    switch.click()
    page.wait_for_selector(
        f"table.workflows tr:has-text('{name}') button[role=switch][aria-checked=false]"
    )
    assert _api(site, f"/orchestrations/{name}").json()["enabled"] is False
    assert axe(page) == []
    screenshot(page, "list")


def test_template_through_the_gallery_then_run(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: BrowserErrors,
) -> None:
    _allow_duration_chart(browser_errors)
    # a source a scan can run on: other tests of this site add hand-made sources (kind
    # manual, e.g. "bi"), which a scan refuses
    source = next(
        s["name"]
        for s in _api(site, "/sources", limit=200).json()["items"]
        if s["kind"] not in ("manual", "external")
    )
    name = f"uiwf-gallery-{uuid.uuid4().hex[:8]}"
    browser_login(page, site, "steward", "/templates")
    assert axe(page) == []
    form = "#form-data-discovery"
    page.fill(f"{form} #data-discovery-source", source)
    page.fill(f"{form} #data-discovery-name", name)
    page.select_option(f"{form} #data-discovery-profile", "false")
    # typing updates the preview by itself; the Preview button asks again
    page.wait_for_selector(f"#preview-data-discovery :text('{name}')")
    page.fill(f"{form} #data-discovery-per_source", "2")
    page.click(f"{form} button.preview-button")
    page.wait_for_selector("#preview-data-discovery :text('per_source: 2')")
    assert "3 steps: discover, profile, lineage" in page.inner_text("#preview-data-discovery")
    assert _api(site, f"/orchestrations/{name}").status_code == 404
    page.locator("#template-data-discovery").scroll_into_view_if_needed()
    assert axe(page) == []
    screenshot(page, "gallery", full_page=False)

    page.click(f"{form} button[type=submit]")
    page.wait_for_url(f"{site.base}/workflows/{name}?done=created")
    assert "data-discovery" in page.inner_text(".facts")
    assert page.input_value("#run-profile") == "false"
    page.click("form.run-form button[type=submit]")
    page.wait_for_selector("#started")
    finished = _wait_finished(site, name, timeout=180)
    assert finished["status"] == "completed", finished
    page.reload()
    assert "completed" in page.inner_text("#executions").lower()
    assert axe(page) == []
    screenshot(page, "from-template")


def test_viewer_sees_the_pages_without_controls(
    page: Any,
    site: Site,
    axe: Callable[..., list[Any]],
    screenshot: Callable[..., Path],
    browser_errors: BrowserErrors,
) -> None:
    _allow_duration_chart(browser_errors)
    name = f"uiwf-view-{uuid.uuid4().hex[:8]}"
    doc = {"name": name, "schedule": "0 6 * * 1-5", "steps": [{"id": "only", "type": "noop"}]}
    made = httpx.post(
        f"{site.base}/api/v1/orchestrations", json=doc, headers=site.server.headers, timeout=30
    )
    assert made.status_code == 201, made.text
    browser_login(page, site, "viewer", f"/workflows?q={name}")
    assert "on weekdays at 06:00 UTC" in page.inner_text("table.workflows")
    assert page.locator("button[role=switch]").count() == 0
    assert axe(page) == []
    page.click(f"a:text('{name}')")
    page.wait_for_selector('#dag[data-drawn="1"]')
    assert page.locator("form.run-form, #yaml-text").count() == 0
    assert axe(page) == []
    screenshot(page, "viewer-workflow")
    page.goto(f"{site.base}/templates")
    assert page.locator("button[type=submit]:text('Create workflow')").count() == 0
    assert axe(page) == []
