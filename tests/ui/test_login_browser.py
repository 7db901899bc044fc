"""Logging in and out in Chromium: the form, the home page behind it, and the way back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.site import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_log_in_see_home_and_log_out(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 401")  # the wrong password below is answered with 401
    page.goto(f"{site.base}/")
    page.wait_for_url(f"{site.base}/login")
    assert axe(page) == []
    screenshot(page, "login")
    # a wrong password: the form says so and keeps the name
    page.fill("#username", "steward")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.inner_text(".alert")
    assert page.input_value("#username") == "steward"
    page.fill("#password", site.passwords["steward"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/")
    assert page.inner_text("h1") == "Catalog"
    assert "steward" in page.inner_text(".who")
    assert axe(page) == []
    screenshot(page, "home")
    page.click("text=Log out")
    page.wait_for_url(f"{site.base}/login")
    page.goto(f"{site.base}/")
    page.wait_for_url(f"{site.base}/login")


def test_keyboard_only_login(page: Any, site: Site) -> None:
    page.goto(f"{site.base}/login")
    page.keyboard.type("viewer")  # the name field has focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type(site.passwords["viewer"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/")
