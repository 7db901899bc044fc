"""The browser-test harness works end to end: a real ``sounding serve`` serves ``/docs``, Debian's
Chromium renders it with no console error, a screenshot is saved, and the error collector and
the axe check each catch what they are there to catch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sounding.testing.server import ServerProcess
from tests.ui.conftest import BrowserErrors, chromium_unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_a_missing_chromium_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install -y chromium"):
        chromium_unavailable("/usr/lib/chromium/chromium is missing")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium.*CI is set"):
        chromium_unavailable("/usr/lib/chromium/chromium is missing")


@pytest.mark.browser
def test_docs_renders_from_a_real_server_with_no_console_error(
    ui_server: ServerProcess, page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{ui_server.base}/docs")
    assert response is not None and response.status == 200
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert title.inner_text().startswith("Sounding")
    page.locator(".opblock").first.wait_for()  # the operations were read from /openapi.json
    assert page.locator(".opblock").count() > 10
    assert requested and all(url.startswith(ui_server.base) for url in requested), requested
    shot = screenshot(page, "docs")
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
def test_a_console_error_or_uncaught_exception_is_collected(
    page: Page, browser_errors: BrowserErrors
) -> None:
    page.set_content(
        "<html><body><script>console.error('boom in console');"
        "setTimeout(() => { throw new Error('boom uncaught'); });</script></body></html>"
    )
    page.wait_for_function("() => true")
    page.wait_for_timeout(100)  # the thrown error is reported after the timer fires
    assert any("boom in console" in e for e in browser_errors.errors), browser_errors.errors
    assert any("boom uncaught" in e for e in browser_errors.errors), browser_errors.errors
    assert browser_errors.unexpected()  # without these allows, teardown would fail the test
    browser_errors.allow(r"boom in console")
    browser_errors.allow(r"boom uncaught")
    assert browser_errors.unexpected() == []


@pytest.mark.browser
def test_axe_reports_serious_and_critical_violations_only(
    page: Page, axe: Callable[..., list[dict[str, Any]]]
) -> None:
    page.set_content(
        '<!doctype html><html lang="en"><head><title>ok</title></head>'
        "<body><main><h1>Fine</h1><p>Readable text.</p></main></body></html>"
    )
    assert axe(page) == []
    page.set_content(
        '<!doctype html><html lang="en"><head><title>bad</title></head><body><main>'
        '<h1>Bad</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<button></button><input type="text"></main></body></html>'
    )
    found = {v["id"]: v for v in axe(page)}
    assert {"image-alt", "button-name", "label"} <= set(found), found
    assert all(v["impact"] in ("serious", "critical") for v in found.values())
    assert found["image-alt"]["nodes"] == ["img"]
