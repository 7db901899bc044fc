"""The search page, its suggestion fragment and the home page, as HTML from a real server
on the demo store."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow

HITS = re.compile(r'<a class="hit-name" href="([^"]+)">([^<]+)</a>')
OPTION = re.compile(r'<li role="option" id="([^"]+)"[^>]*data-href="([^"]+)">')
FACET = re.compile(
    r'<a href="(/search\?[^"]+)"[^>]*>\s*<span class="check"[^>]*>[^<]*</span>\s*'
    r'<span class="value">([^<]+)</span>\s*<span class="count">([\d,]+)</span>'
)


def html_page(client: httpx.Client, path: str) -> str:
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:400])
    return answer.text


def facets_of(page: str) -> dict[str, int]:
    return {unescape(href): int(n.replace(",", "")) for href, _, n in FACET.findall(page)}


def test_search_shows_hits_with_path_snippet_reasons_and_exact_name_first(site: Site) -> None:
    viewer = site.as_user("viewer")
    page = html_page(viewer, "/search?q=raw_customers")
    hits = HITS.findall(page)
    assert hits and hits[0][1] == "raw_customers", hits[:3]
    assert re.fullmatch(r"/assets/\d+", hits[0][0])
    assert "exact name</span>" in page
    assert '<ol class="breadcrumb" aria-label="Where raw_customers is">' in page
    assert "<mark>" in page  # the engine's highlighting reaches the page unescaped
    assert 'class="why"' in page and "Matched on" in page
    # every type of hit has its icon
    assert page.count('class="type-icon') >= len(hits)


def test_facets_count_results_and_their_links_add_filters_to_the_url(site: Site) -> None:
    viewer = site.as_user("viewer")
    page = html_page(viewer, "/search?q=customer")
    facets = facets_of(page)
    table_link = "/search?q=customer&type=table"
    assert table_link in facets and facets[table_link] > 0
    filtered = html_page(viewer, table_link)
    total = re.search(r"([\d,]+) results? for", filtered)
    assert total and int(total.group(1).replace(",", "")) == facets[table_link]
    assert 'aria-label="Active filters"' in filtered and "Type: table" in filtered
    # the filter stays in the form, so new words keep it
    assert '<input type="hidden" name="type" value="table">' in filtered
    for href, _ in HITS.findall(filtered):
        assert href.startswith("/assets/")
    # the chosen value's link removes it again
    assert '<a href="/search?q=customer" class="chosen" aria-current="true">' in filtered


def test_missing_owner_lists_exactly_the_unowned_objects_the_home_page_counts(site: Site) -> None:
    steward = site.as_user("steward")
    home = html_page(steward, "/")
    link = "/search?missing=owner&amp;type=table&amp;type=view&amp;type=dataset"
    todo = re.search(re.escape(link) + r'"><span class="figure">([\d,]+)</span>', home)
    assert todo, "the home page's to-do links to the unowned objects"
    page = html_page(steward, unescape(link))
    total = re.search(r"([\d,]+) results?", page)
    assert total and total.group(1) == todo.group(1)
    assert "No owner" in page
    # the API takes the same filter
    assert site.server.token
    api = httpx.get(
        f"{site.base}/api/v1/search",
        params=[("missing", "owner"), ("type", "table"), ("type", "view"), ("type", "dataset")],
        headers={"Authorization": f"Bearer {site.server.token}"},
    )
    assert api.status_code == 200 and str(api.json()["total"]) == todo.group(1)
    assert all(not item.get("owner") for item in api.json()["items"])


def test_paging_walks_the_results_and_bad_parameters_are_4xx(site: Site) -> None:
    viewer = site.as_user("viewer")
    first = html_page(viewer, "/search?type=column")
    second = html_page(viewer, "/search?type=column&page=2")
    one, two = HITS.findall(first), HITS.findall(second)
    assert len(one) == 20 and two and not set(one) & set(two)
    assert 'rel="next" href="/search?type=column&amp;page=2"' in first
    assert 'rel="prev" href="/search?type=column"' in second
    for bad, says in (
        ("/search?page=0", "page"),
        ("/search?page=100000", "page"),
        ("/search?type=tabel", "Unknown type"),
        ("/search?missing=colour", "Unknown field"),
        ("/search/suggest?q=a&box=%3Cscript%3E", "box"),
    ):
        answer = viewer.get(bad, headers={"Accept": "text/html"})
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)
        assert says in answer.text, (bad, answer.text[:300])


def test_nothing_found_helps(site: Site) -> None:
    viewer = site.as_user("viewer")
    page = html_page(viewer, "/search?q=qqqzzzxxx")
    assert "Nothing found" in page and "Check the spelling" in page
    filtered = html_page(viewer, "/search?q=customers&type=source")
    assert "without filters" in filtered and 'href="/search?q=customers"' in filtered


def test_suggestions_are_options_that_open_the_asset(site: Site) -> None:
    viewer = site.as_user("viewer")
    answer = viewer.get(
        "/search/suggest",
        params={"q": "raw_cust", "box": "quicksearch"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    options = OPTION.findall(answer.text)
    assert options, answer.text[:500]
    ids = [i for i, _ in options]
    assert len(ids) == len(set(ids)) and all(i.startswith("quicksearch-") for i in ids)
    assert re.fullmatch(r"/assets/\d+", options[0][1])
    assert 'class="s-name">raw_customers<' in answer.text
    assert options[-1][1] == "/search?q=raw_cust"  # and the last one searches every field
    empty = viewer.get("/search/suggest", params={"q": " "}, headers={"HX-Request": "true"})
    assert empty.status_code == 200 and 'role="option"' not in empty.text
    # not logged in: htmx is told to go to the login page
    anonymous = httpx.get(f"{site.base}/search/suggest?q=raw", headers={"HX-Request": "true"})
    assert anonymous.status_code == 204 and anonymous.headers["HX-Redirect"].startswith("/login")


def test_home_shows_counts_coverage_todo_changes_and_scans(site: Site) -> None:
    page = html_page(site.as_user("viewer"), "/")
    assert 'aria-label="Catalog counts by type"' in page and 'href="/search?type=table"' in page
    for label in ("have an owner", "are classified", "are linked to glossary terms"):
        assert label in page
    assert 'href="/review"' in page  # the demo has suggested labels waiting
    assert "classifications pending review" in page
    assert 'href="/quality?status=failing"' in page  # and failing rules
    assert 'href="/compliance?severity=critical&amp;status=open"' in page
    assert "Recent discovery changes" in page and re.search(r'href="/assets/\d+"', page)
    assert 'id="scans-h"' in page
