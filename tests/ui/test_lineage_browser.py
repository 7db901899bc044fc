"""The lineage explorer in Chromium: click a node to expand lineage upstream, switch to column
level, highlight a path from the keyboard, and export the impact CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FOCUS = "/lineage?focus=urn:sounding:warehouse:main.stg_orders"


def _node_id(page: Any, qualified_name: str) -> str | None:
    found: str | None = page.evaluate(
        """(qn) => {
            const n = window.soundingLineage.cy.nodes().filter(
                (x) => (x.data("qn") || x.data("label")) === qn);
            return n.nonempty() ? n[0].id() : null;
        }""",
        qualified_name,
    )
    return found


def _click_node(page: Any, node_id: str) -> None:
    """A real mouse click on the node where cytoscape drew it."""
    at = page.evaluate(
        """(id) => {
            const p = window.soundingLineage.cy.getElementById(id).renderedPosition();
            const box = document.getElementById("cy").getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        node_id,
    )
    page.mouse.click(at["x"], at["y"])


def test_expand_upstream_then_switch_to_column_level(
    page: Any,
    site: Site,
    screenshot: Callable[..., Path],
    axe: Callable[..., list[Any]],
) -> None:
    browser_login(page, site, "steward", "/lineage")
    page.goto(site.base + FOCUS)
    page.wait_for_selector("#cy[data-ready]")
    assert axe(page) == []
    rates = _node_id(page, "main.stg_latest_exchange_rates")
    assert rates and _node_id(page, "main.raw_exchange_rates") is None
    _click_node(page, rates)  # expands it: its upstream table appears
    page.wait_for_function(
        """() => window.soundingLineage.cy.nodes().some((n) =>
            n.data("label") === "main.raw_exchange_rates")"""
    )
    assert f"expand={rates}" in page.url  # the URL holds the expansion: Back and sharing work
    assert "main.stg_latest_exchange_rates" in page.inner_text("#node-info")
    assert "Expanded main.stg_latest_exchange_rates: 1 new nodes" in page.inner_text(
        "#graph-status"
    )
    assert page.evaluate("() => window.soundingLineage.cy.$('.onpath').nonempty()")
    screenshot(page, "expanded", full_page=False)

    # keyboard only: pick a node from the list, highlight its path from the focus
    page.focus("#node-pick")
    page.select_option("#node-pick", label="main.raw_exchange_rates (table)")
    page.focus("#node-path")
    page.keyboard.press("Enter")
    on_path = page.evaluate(
        "() => window.soundingLineage.cy.nodes('.onpath').map((n) => n.data('label')).sort()"
    )
    assert on_path == [
        "main.raw_exchange_rates",
        "main.stg_latest_exchange_rates",
        "main.stg_orders",
    ]

    page.check("#level-column")  # applies at once
    page.wait_for_url("**level=column**")
    page.wait_for_selector("#cy[data-ready]")
    compound = page.evaluate(
        """() => {
            const cy = window.soundingLineage.cy;
            return {parents: cy.nodes(":parent").length,
                    columns: cy.nodes("[type = 'column']").length,
                    inside: cy.nodes("[type = 'column']").every((n) => n.isChild())};
        }"""
    )
    assert compound["parents"] >= 4 and compound["columns"] > 20 and compound["inside"]
    assert "column" in page.inner_text("#impact-h")
    assert axe(page) == []
    screenshot(page, "columns", full_page=False)


def test_export_the_impact_csv(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    browser_login(page, site, "viewer", "/lineage")
    assert axe(page) == []
    screenshot(page, "picker", full_page=False)
    page.goto(site.base + FOCUS)
    page.wait_for_selector("#cy[data-ready]")
    with page.expect_download() as download:
        page.click("#impact-csv")
    saved = download.value
    assert saved.suggested_filename == "impact-main.stg_orders.csv"
    text = Path(saved.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    owners = {r["qualified_name"]: r["owner"] for r in rows}
    assert owners["main.mart_order_summary"] == "sales-analytics@shop.example"
    assert "main.mart_cohort_retention" in owners  # two hops down: in the CSV too
    # the impact table's Path button highlights the path of a drawn asset
    page.click("#impact tr:has-text('main.mart_order_summary') .path-btn")
    on_path = page.evaluate(
        "() => window.soundingLineage.cy.nodes('.onpath').map((n) => n.data('label')).sort()"
    )
    assert on_path == ["main.mart_order_summary", "main.stg_orders"]
    screenshot(page, "impact", full_page=True)
