"""The review queue and the glossary in Chromium: confirming a label that persists after a
reload, the queue driven by the keyboard alone (j/k/x/c), approving a glossary term; no
console errors and axe on both pages.

Objects changed here (nobody else relies on them): the lake source's labels of
marketing_leads.csv and support_tickets.ndjson, and a glossary term the test creates.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_confirm_a_label_in_the_queue_and_it_persists_after_reload(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "steward", "/review?status=pending")
    assert axe(page) == []
    screenshot(page, "queue", full_page=False)
    page.select_option("#f-source", "lake")
    page.fill("#f-label", "PII.Country")
    page.click("form[aria-label='Filter labels'] button[type=submit]")
    page.wait_for_url("**/review?status=pending&label=PII.Country&source=lake*")
    row = page.locator("tr.review-row").first
    ident = row.get_attribute("data-id")
    row.locator("button[data-action=confirm]").click()
    page.wait_for_selector(f"#label-{ident}.confirmed")
    assert "confirmed" in page.inner_text("#toast")
    assert "confirmed by steward" in page.inner_text(f"#label-{ident}")
    page.reload()
    assert page.locator(f"#label-{ident}").count() == 0  # no longer pending
    page.goto(f"{site.base}/review?status=confirmed&source=lake&label=PII.Country")
    assert "confirmed by steward" in page.inner_text(f"#label-{ident}")


def test_the_queue_by_keyboard_alone(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "steward", "/review")
    page.goto(f"{site.base}/review?source=lake&max_conf=60")
    ids = page.eval_on_selector_all("tr.review-row", "rows => rows.map(r => r.dataset.id)")
    assert len(ids) >= 3
    page.keyboard.press("?")
    assert page.locator("#review-help").is_visible()
    assert axe(page) == []
    page.keyboard.press("Escape")
    assert not page.locator("#review-help").is_visible()
    # typing in a field never triggers a shortcut
    page.focus("#bulk-note")
    page.keyboard.type("jxc")
    assert page.input_value("#bulk-note") == "jxc"
    assert page.locator("tr.review-row.current").count() == 0
    page.fill("#bulk-note", "")
    page.locator("h1").click()
    page.keyboard.press("j")  # first row
    page.keyboard.press("x")  # selected
    page.keyboard.press("j")
    page.keyboard.press("j")  # third row
    page.keyboard.press("x")
    page.keyboard.press("k")  # back to the second: current, not selected
    assert page.get_attribute("tr.review-row.current", "data-id") == ids[1]
    assert page.inner_text("#picked-count") == "2 selected"
    page.keyboard.press("c")  # confirms the two selected rows
    page.wait_for_selector(f"#label-{ids[0]}.confirmed")
    page.wait_for_selector(f"#label-{ids[2]}.confirmed")
    assert page.locator(f"#label-{ids[1]}.pending").count() == 1
    assert "2 labels confirmed" in page.inner_text("#toast")
    # no selection: r rejects the current row
    assert page.get_attribute("tr.review-row.current", "data-id") == ids[1]
    page.keyboard.press("r")
    page.wait_for_selector(f"#label-{ids[1]}.rejected")
    page.reload()
    left = page.eval_on_selector_all("tr.review-row", "rows => rows.map(r => r.dataset.id)")
    assert not set(left) & set(ids[:3])
    screenshot(page, "keyboard", full_page=False)


def test_approve_a_glossary_term(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "steward", "/glossary?status=draft")
    assert axe(page) == []
    page.click("nav.term-tree a:text-is('Cohort')")
    page.wait_for_url("**/glossary/terms/*")
    assert page.text_content("#term-status") == "draft"
    assert axe(page) == []
    page.fill("#note-approve", "defined by the CRM team")
    page.click("button:text-is('Approve')")
    page.wait_for_url("**/glossary/terms/*?done=approve")
    assert page.text_content("#term-status") == "approved"
    assert "approved by steward" in page.inner_text("dl.facts")
    page.reload()
    assert page.text_content("#term-status") == "approved"
    screenshot(page, "term", full_page=False)
    page.goto(f"{site.base}/glossary")
    screenshot(page, "glossary", full_page=False)
