"""Administration in Chromium: a token created through the form is shown once and never again
(not after a reload, not in the list), works against the API, stops working the moment it is
revoked, and the audit log page shows both actions; the users form with its errors, the health
page refreshing itself, and a viewer kept out. No console errors, axe on every page.

Objects made here: tokens labelled ``adm-browser-*`` (of the steward) and users ``adm-b-*``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _me(site: Site, token: str) -> httpx.Response:
    return httpx.get(
        f"{site.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_a_token_is_shown_once_then_revoked_and_the_audit_log_shows_both(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "admin", "/admin/tokens")
    assert (
        page.locator("nav[aria-label=Main] a[href='/admin']").get_attribute("aria-current")
        == "page"
    )
    assert axe(page) == []
    page.select_option("#tok-user", "steward")
    page.fill("#tok-name", "adm-browser-once")
    page.select_option("#tok-expires", "30d")
    page.click("form[action='/admin/tokens'] button[type=submit]")
    page.wait_for_selector("#new-token-value")
    token = page.input_value("#new-token-value")
    assert re.fullmatch(r"snd_[\w-]{40,}", token)
    assert "shown this once and never again" in page.inner_text(".new-token")
    assert axe(page) == []
    screenshot(page, "token-shown", full_page=False)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("button[data-copy]")
    page.wait_for_selector("button[data-copy]:text('Copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == token
    me = _me(site, token)
    assert me.status_code == 200 and me.json()["name"] == "steward"

    # never shown again: a reload lands on the plain list, which names the token by prefix
    page.reload()
    assert page.locator("#new-token-value").count() == 0
    assert token not in page.content()
    row = page.locator("tr", has_text="adm-browser-once")
    assert row.count() == 1 and f"{token[:8]}…" in row.inner_text()
    token_id = row.get_attribute("id").removeprefix("token-")
    page.go_back()  # back before the form: the token is not there either
    assert token not in page.content()
    page.goto(f"{site.base}/admin/tokens")

    # revoke it: the API refuses it at once
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#token-{token_id} button", has_text="Revoke").click()
    page.wait_for_url(f"**/admin/tokens?revoked={token_id}")
    assert f"Token {token_id} is revoked" in page.inner_text("main")
    assert page.locator(f"#token-{token_id}").count() == 0
    assert _me(site, token).status_code == 401

    # the audit log shows both, newest first
    page.goto(f"{site.base}/admin/audit?actor=admin")
    page.fill("#f-target", token_id)
    page.fill("#f-action", "token.revoke")
    page.click("form[aria-label='Filter the audit log'] button[type=submit]")
    page.wait_for_url(f"**/admin/audit?*target={token_id}*")
    assert "1 record matching" in page.inner_text("main")
    assert "token.revoke" in page.inner_text("table.audit")
    page.goto(f"{site.base}/admin/audit?actor=admin&action=token.create")
    created = page.locator("table.audit tr", has_text=f"token_id: {token_id}")
    assert created.count() == 1 and "steward" in created.inner_text()
    page.goto(f"{site.base}/admin/audit?actor=admin")
    actions = page.eval_on_selector_all(
        "table.audit td code", "cells => cells.map(c => c.textContent)"
    )
    assert actions.index("token.revoke") < actions.index("token.create")  # newest first
    assert axe(page) == []
    screenshot(page, "audit")


def test_the_users_form_shows_errors_by_their_field_then_creates_the_user(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 422")  # the bad form below is answered with 422
    browser_login(page, site, "admin", "/admin/users")
    assert axe(page) == []
    page.fill("#new-name", "adm-b-erin")
    page.select_option("#new-role", "steward")
    page.fill("#new-password", "erin-pass-1")
    page.fill("#new-confirm", "erin-pass-2")
    page.click("form[action='/admin/users'] button[type=submit]")
    error = page.locator("#err-confirm")
    error.wait_for()
    assert "differ" in error.inner_text()
    assert page.get_attribute("#new-confirm", "aria-invalid") == "true"
    assert page.input_value("#new-name") == "adm-b-erin"  # what was typed is kept
    assert axe(page) == []
    screenshot(page, "user-error", full_page=False)
    page.fill("#new-password", "erin-pass-1")
    page.fill("#new-confirm", "erin-pass-1")
    page.click("form[action='/admin/users'] button[type=submit]")
    page.wait_for_url("**/admin/users?done=created&user=adm-b-erin")
    assert "adm-b-erin created" in page.inner_text(".alert.ok")
    row = page.locator("tr", has_text="adm-b-erin")
    assert row.locator("select").input_value() == "steward"
    row.locator("select").select_option("viewer")
    row.locator("button", has_text="Change role").click()
    page.wait_for_url("**/admin/users?done=role&user=adm-b-erin")
    assert page.locator("tr", has_text="adm-b-erin").locator("select").input_value() == "viewer"
    erin = page.locator("tr", has_text="adm-b-erin")
    erin.locator("summary", has_text="Set password").click()
    erin.locator("input[name=password]").fill("erin-pass-new")
    erin.locator("input[name=confirm]").fill("erin-pass-new")
    assert axe(page) == []
    screenshot(page, "set-password", full_page=False)
    erin.locator("button", has_text="Set password").click()
    page.wait_for_url("**/admin/users?done=password&user=adm-b-erin")
    assert "adm-b-erin has a new password" in page.inner_text(".alert.ok")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="adm-b-erin").locator("button", has_text="Disable").click()
    page.wait_for_url("**/admin/users?done=disabled&user=adm-b-erin")
    disabled = page.locator("tr", has_text="adm-b-erin")
    assert disabled.locator(".badge").inner_text().lower() == "disabled"
    assert disabled.locator("button", has_text="Enable").count() == 1
    screenshot(page, "users")


def test_health_refreshes_itself(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "admin", "/admin/health")
    first = page.get_attribute("#health time", "datetime")
    assert "running tasks" in page.inner_text("main") and "started" in page.inner_text("main")
    assert axe(page) == []
    screenshot(page, "health")
    page.wait_for_function(
        "(before) => document.querySelector('#health time').getAttribute('datetime') !== before",
        arg=first,
        timeout=12_000,
    )
    assert page.locator("#health").count() == 1  # swapped in place, not nested


def test_a_viewer_has_no_admin_entry_and_gets_a_403_page(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
    browser_errors: Any,
) -> None:
    browser_errors.allow(r"status of 403")  # the browser logs the 403 answer itself
    browser_login(page, site, "viewer", "/")
    assert page.locator("nav[aria-label=Main] a[href='/admin']").count() == 0
    answer = page.goto(f"{site.base}/admin/tokens")
    assert answer is not None and answer.status == 403
    assert "lacks permission 'admin'" in page.inner_text("main")
    assert page.locator("form[method=post]:not([action='/logout'])").count() == 0
    assert axe(page) == []
    screenshot(page, "viewer-403", full_page=False)
