"""Browser-test harness: Playwright driving Debian's Chromium against a real ``sounding serve``.

Fixtures (mark the tests that use them ``@pytest.mark.browser``):

- ``browser`` (module): headless Chromium from ``/usr/lib/chromium/chromium`` (never a
  Playwright download). Missing locally: the test skips, saying how to install it; with ``CI``
  set it fails instead. One per module, not per session: while open, Playwright's sync API
  leaves its event loop set as running in the main thread, so the ``asyncio.run`` of any later
  test that pytest-xdist schedules on the same worker would fail.
- ``page`` (function): a page in a fresh context (no shared cookies or storage). Every console
  error and uncaught page error fails the test at teardown; accept an expected one with
  ``browser_errors.allow(r"regex")``.
- ``browser_errors`` (function): what ``page`` collected (``.errors``) and ``.allow()``.
- ``screenshot`` (function): ``screenshot(page, "name", full_page=True)`` saves
  ``artifacts/screenshots/<test>-<name>.png`` (git-ignored) and returns its path.
- ``axe`` (function): ``axe(page)`` runs the vendored axe-core (``tests/ui/vendor/axe-core``)
  on the page and returns its violations of impact ``serious`` or ``critical``.
- ``ui_server`` (module): a real ``sounding serve`` (``ServerProcess``) on a temporary home,
  shared by the tests of a module; ``.base`` is its URL, ``.token`` the bootstrap admin token.
- ``site`` (session): a real ``sounding serve`` on the demo store (``tests/ui/site.py``), with
  users admin, steward and viewer holding passwords; ``site.login(user)`` / ``site.as_user``
  give logged-in HTTP clients, ``site.csrf(client)`` a page's CSRF token.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sounding.testing.server import ServerProcess
from tests.ui.site import PASSWORDS, Site, demo_copy

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/lib/chromium/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000  # a shared 2-core machine: generous, but a hang still ends


def chromium_unavailable(reason: str) -> None:
    """Skip locally, fail under CI: a CI run must never pass by not running browser tests."""
    message = f"{reason}. Install Debian's Chromium: `apt-get install -y chromium`"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium_unavailable("Playwright is not installed (`pip install -e '.[dev]'`)")
    if not os.access(CHROMIUM, os.X_OK):
        chromium_unavailable(f"{CHROMIUM} is missing")
    args = ["--disable-dev-shm-usage", "--disable-gpu"]
    if os.geteuid() == 0:  # Chromium refuses to sandbox as root
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions seen by ``page``; ``allow`` accepts expected
    ones (a regex searched in the message)."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(browser: Browser, browser_errors: BrowserErrors) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            browser_errors.errors.append(f"console.error: {message.text} ({where})")

    opened.on("console", on_console)
    opened.on("pageerror", lambda exc: browser_errors.errors.append(f"page error: {exc}"))
    try:
        yield opened
    finally:
        context.close()
    unexpected = browser_errors.unexpected()
    if unexpected:
        pytest.fail("the browser reported errors:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    test = re.sub(r"[^\w.-]+", "_", request.node.name)

    def take(page: Page, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def axe() -> Callable[..., list[dict[str, Any]]]:
    """``axe(page, context="main")``: violations of impact serious/critical on the page (or the
    part ``context`` selects). The script is evaluated through the DevTools protocol, so a
    page's Content-Security-Policy does not block it and nothing is served for it."""
    source = AXE.read_text()

    def run(page: Page, context: str | None = None) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(f"() => {{ {source}\n}}")
        violations: list[dict[str, Any]] = page.evaluate(
            """async (context) => {
                const results = await window.axe.run(context || document, {
                    resultTypes: ["violations"],
                });
                return results.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map((n) => n.target.join(" ")),
                }));
            }""",
            context,
        )
        return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]

    return run


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("ui") / "home")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``sounding serve`` on a demo store; users admin, steward and viewer with passwords.
    Tests that change data change what the demo shows: keep such changes local (one asset,
    one term) and never rely on another test's changes."""
    home = tmp_path_factory.mktemp("ui-demo")
    admin_password, token = demo_copy(tmp_path_factory, home)
    server = ServerProcess(home)
    server.token = token  # printed by the demo build, not by this start
    server.start(timeout=60)
    built = Site(server, {"admin": admin_password, **PASSWORDS})
    yield built
    built.close()
