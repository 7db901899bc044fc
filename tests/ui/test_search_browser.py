"""Search and home in Chromium: suggestions with the keyboard, facets and Back, axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_type_pick_a_suggestion_with_the_keyboard_and_land_on_the_asset(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 404")  # the asset pages may not be merged yet
    browser_login(page, site, "viewer", "/search")
    box = page.locator("#search-q")
    assert box.evaluate("e => e === document.activeElement")  # focus is in the box
    page.keyboard.type("raw_cust")
    page.wait_for_selector("#search-list [role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    assert axe(page) == []
    screenshot(page, "suggestions", full_page=False)
    page.keyboard.press("ArrowDown")
    first = page.locator("#search-list [role=option]").first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert "raw_customers" in first.inner_text()
    target = first.get_attribute("data-href")
    assert target and re.fullmatch(r"/assets/\d+", target)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}{target}")
    # the top bar's box: Escape closes its list, Enter searches the words
    page.goto(f"{site.base}/")
    page.locator("#quicksearch-q").click()
    page.keyboard.type("orders")
    page.wait_for_selector("#quicksearch-list [role=option]")
    page.keyboard.press("Escape")
    assert page.locator("#quicksearch-list").is_hidden()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/search?q=orders")
    assert "orders" in page.inner_text(".results .summary")


def test_facets_change_the_url_and_back_returns(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
) -> None:
    browser_login(page, site, "steward", "/search?q=customer")
    found = axe(page)
    assert found == [], [(v["id"], v["nodes"][:5]) for v in found]
    screenshot(page, "results", full_page=False)
    page.click("#facet-type + ul a:has-text('table')")
    page.wait_for_url(re.compile(r".*/search\?q=customer&type=table$"))
    assert page.locator(".active-filters").inner_text().startswith("Type: table")
    kinds = {k.lower() for k in page.locator(".hit .badge").all_inner_texts()}
    assert kinds - {"exact name"} == {"table"}
    page.go_back()
    page.wait_for_url(f"{site.base}/search?q=customer")
    assert page.locator(".active-filters").count() == 0
    page.go_forward()
    page.wait_for_url(re.compile(r".*type=table$"))


def test_home_page_links_its_todo_and_is_accessible(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
) -> None:
    browser_login(page, site, "steward", "/")
    assert axe(page) == []
    screenshot(page, "home", full_page=False)
    screenshot(page, "home-full")
    unowned = page.locator(".todo-list a[href^='/search?missing=owner']")
    count = unowned.locator(".figure").inner_text()
    unowned.click()
    page.wait_for_url(re.compile(r".*/search\?missing=owner&type=table&type=view&type=dataset$"))
    assert page.inner_text(".results .summary").startswith(f"{count} result")
    assert axe(page) == []
