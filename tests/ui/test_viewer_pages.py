"""A viewer can open every page the UI links to, and none of them offers a viewer anything
that changes data; every nav entry a viewer may not see is hidden and answers 403.

General on purpose: it walks :data:`sounding.ui.render.NAV` and the links of each page it
reaches (one page per kind of link: ``/assets/12`` and ``/assets/40`` are one kind), so page
families added later are covered without editing this test.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sounding.domain.auth import Principal, Role
from sounding.ui.render import NAV
from tests.ui.site import Site

pytestmark = pytest.mark.slow
VIEWER = Principal("viewer", Role.VIEWER)
SKIP = ("/static/", "/api/", "/docs", "/openapi.json", "/metrics", "/healthz", "/logout")
ALLOWED_POSTS = ("/logout",)  # the only form a viewer may send
# a viewer keeps collections, subscriptions and an inbox of their own (and changes only those)
OWN = ("/collections", "/subscriptions", "/inbox", "/alerts/")
MUTATING_HX = ("hx-post", "hx-put", "hx-patch", "hx-delete")
MAX_PAGES = 300  # a bound, far above what the UI has
VARIANTS = 4  # kinds of query (filters, tabs, pages) visited per path
PER_SHAPE = 6  # paths visited per shape (first segment, depth): /workflows/a and /workflows/b


class _Page(HTMLParser):
    """The links, forms and htmx requests of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str]] = []  # (method, action)
        self.mutating: list[str] = []  # elements that would send a mutating htmx request
        self.in_nav = False
        self.nav_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "nav" and found.get("aria-label") == "Main":
            self.in_nav = True
        if tag == "a" and "href" in found:
            self.links.append(found["href"])
            if self.in_nav:
                self.nav_links.append(found["href"])
        if tag == "form":
            self.forms.append((found.get("method", "get").lower(), found.get("action", "")))
        for attr in MUTATING_HX:
            if attr in found:
                self.mutating.append(f"<{tag} {attr}={found[attr]!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_nav = False


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _kind(url: str) -> tuple[str, str]:
    """A link's kind: its path with ids (numbers, hex execution ids) folded, and the names of
    its parameters."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query)})
    path = re.sub(r"(?<=/)[0-9a-f]{16,}(?=/|$)", "H", parts.path)
    return re.sub(r"\d+", "N", path), "&".join(keys)


def _shape(path: str) -> tuple[str, int]:
    """Pages named by a user's names (a workflow's, a source's) share a shape: the first
    segment and the depth, so the walk visits a few of each, not every workflow."""
    segments = [s for s in path.split("/") if s]
    return (segments[0] if segments else "", len(segments))


def _local(href: str) -> str | None:
    """A link to a page of this site, as a path (with its query), or None."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _problems(path: str, answer: httpx.Response) -> list[str]:
    if answer.status_code != 200:
        return [f"{path}: HTTP {answer.status_code}"]
    if not answer.headers.get("content-type", "").startswith("text/html"):
        return []  # a download (CSV export): no controls to check
    page = _parse(answer.text)
    found = [
        f"{path}: a form posting to {action!r}"
        for method, action in page.forms
        if method not in ("get", "dialog")
        and action not in ALLOWED_POSTS
        and not action.startswith(OWN)
    ]
    return found + [f"{path}: {element}" for element in page.mutating]


def test_a_viewer_opens_every_linked_page_and_sees_no_mutating_control(site: Site) -> None:
    viewer = site.login("viewer")  # fresh: no keep-alive connection the server timed out
    allowed = [href for _, href, permission in NAV if VIEWER.can(permission)]
    assert allowed, "the viewer sees no nav entry at all"
    queue = list(allowed)
    printed_before = len(site.server.output)
    seen = {_kind(p) for p in queue}
    variants = Counter(path for path, _ in seen)
    shapes = Counter(_shape(path) for path, _ in seen)
    problems: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        try:
            answer = viewer.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
        except httpx.TransportError as error:
            said = "".join(list(site.server.output)[-40:])
            raise AssertionError(
                f"{path}: the server dropped the connection ({error}); it printed:\n{said}"
            ) from error
        visited += 1
        problems += _problems(path, answer)
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        page = _parse(answer.text)
        if path in allowed:  # the nav shows exactly what the viewer may open
            assert sorted(set(page.nav_links)) == sorted(set(allowed)), path
        for href in page.links:
            local = _local(href)
            kind = _kind(local) if local is not None else None
            if local and kind and kind not in seen and variants[kind[0]] < VARIANTS:
                if variants[kind[0]] == 0 and shapes[_shape(kind[0])] >= PER_SHAPE:
                    continue
                seen.add(kind)
                shapes[_shape(kind[0])] += variants[kind[0]] == 0
                variants[kind[0]] += 1
                queue.append(local)
    assert not problems, "pages a viewer reaches that fail or offer changes:\n" + "\n".join(
        problems
    )
    printed = list(site.server.output)[printed_before:]
    assert not [line for line in printed if "Traceback" in line], "".join(printed[-60:])
    assert visited > len(allowed)  # the walk went beyond the nav itself
    assert not queue, f"more than {MAX_PAGES} kinds of pages: raise the bound"


def test_nav_entries_a_viewer_may_not_see_are_hidden_and_refused(site: Site) -> None:
    viewer = site.login("viewer")  # fresh: no keep-alive connection the server timed out
    nav = _parse(viewer.get("/").text).nav_links
    hidden = [href for _, href, permission in NAV if not VIEWER.can(permission)]
    assert "/admin" in hidden
    for href in hidden:
        assert href not in nav
        answer = viewer.get(href, headers={"Accept": "text/html"})
        assert answer.status_code == 403, href
