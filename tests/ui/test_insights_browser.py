"""The insights pages in Chromium over real execution history: an anomaly with its
evidence, a recommendation applied and rolled back from the page (checked through the API),
the duration chart; no console errors, axe, screenshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.insights_history import api, build
from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _limits(site: Site, workflow: str) -> Any:
    with api(site) as client:
        return client.get(f"/api/v1/orchestrations/{workflow}").json()["spec"]["limits"]


def test_see_an_anomaly_then_apply_and_roll_back_a_recommendation(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    made = build(site, "insights-browser")
    page.on("dialog", lambda dialog: dialog.accept())  # the apply/rollback confirmations
    browser_login(page, site, "steward", "/insights")
    anomaly = page.locator("li.anomaly", has_text=made["slow"]).first
    assert "took" in anomaly.inner_text() and "forecast from the other runs" in anomaly.inner_text()
    assert axe(page) == []
    screenshot(page, "overview")

    rec = page.locator("li.recommendation", has_text=made["spread"])
    assert "executions at limit with tasks waiting" in rec.inner_text()
    rec.get_by_role("button", name=f"Apply to {made['spread']}").click()
    page.wait_for_selector("#done")
    assert f"to {made['spread']}" in page.inner_text("#done")
    assert _limits(site, made["spread"]) == {"per_source": 4}
    assert page.locator("tr.action.applied", has_text=made["spread"]).count() == 1
    assert axe(page) == []
    screenshot(page, "applied", full_page=False)

    page.click(f"tr.action.applied a[href='/insights/workflows/{made['spread']}']")
    page.wait_for_url(f"{site.base}/insights/workflows/{made['spread']}")
    page.get_by_role("button", name="Roll back").click()
    page.wait_for_selector("#done:has-text('Rolled back')")
    assert page.url.startswith(f"{site.base}/insights/workflows/{made['spread']}?rolled_back=")
    assert _limits(site, made["spread"]) == {"per_source": 2}
    assert page.locator("tr.action.rolled_back", has_text=made["spread"]).count() == 1
    assert axe(page) == []
    screenshot(page, "rolled-back")
    page.goto(f"{site.base}/insights")

    page.click(f"a[href='/insights/workflows/{made['fan']}']")
    page.wait_for_url(f"{site.base}/insights/workflows/{made['fan']}")
    assert page.locator("svg.durations circle.dot").count() == 8
    assert page.locator("svg.durations circle.dot.anomaly").count() >= 1
    assert "Band coverage" in page.inner_text("dl.forecast-figures")
    assert axe(page) == []
    screenshot(page, "workflow")
    page.click("nav.tabs a:has-text('work')")
    page.wait_for_url(f"{site.base}/insights/workflows/{made['fan']}/steps/work")
    assert page.locator("svg.durations circle.dot").count() == 8
    assert axe(page) == []
    screenshot(page, "step")


def test_viewer_sees_insights_without_controls(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "viewer", "/insights")
    assert page.locator("h1").inner_text() == "Insights"
    assert page.locator("form[action*='/insights/recommendations/']").count() == 0
    assert axe(page) == []
    screenshot(page, "viewer")
