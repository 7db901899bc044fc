"""The lineage explorer's URL parameters, CSV cells and partial templates (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from sounding.errors import InvalidInputError
from sounding.services import lineage_explorer
from sounding.ui.lineage import (
    _cell,
    breakable,
    parse_depth,
    parse_expand,
    state_url,
    url_maker,
)
from sounding.ui.render import ENV


def test_depth_is_a_number_of_hops_or_the_whole_graph() -> None:
    assert parse_depth(None) == 1 and parse_depth("3") == 3 and parse_depth("20") == 20
    assert parse_depth("max") is None and parse_depth("ALL") is None
    for bad in ("0", "21", "-1", "2.5", "x"):
        with pytest.raises(InvalidInputError):
            parse_depth(bad)


def test_expand_lists_ids() -> None:
    assert parse_expand("") == [] and parse_expand("3,5, 7") == [3, 5, 7]
    assert parse_expand("4,4") == [4, 4]  # expanding again brings the next neighbours
    with pytest.raises(InvalidInputError):
        parse_expand("3;drop")


def test_state_urls_leave_defaults_out() -> None:
    assert state_url("/lineage", "urn:x:a.b", 1, "table", []) == "/lineage?focus=urn:x:a.b"
    assert (
        state_url("/lineage", "7", None, "column", [1, 2], ipage=3)
        == "/lineage?focus=7&depth=max&level=column&expand=1,2&ipage=3"
    )
    assert "%26" in state_url("/lineage", "a&b", 1, "table", [])
    # a column's URN holds a '#': it must not end the URL's query
    assert state_url("/lineage", "urn:s:t#c", 1, "column", []) == (
        "/lineage?focus=urn:s:t%23c&level=column"
    )


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("+1") == "'+1" and _cell("@x") == "'@x" and _cell("-2") == "'-2"
    assert _cell("ops@x.example") == "ops@x.example" and _cell(None) == "" and _cell(3) == "3"


def test_long_names_wrap_after_separators_and_stay_escaped() -> None:
    assert str(breakable("main.a_b")) == "main.<wbr>a_<wbr>b"
    assert str(breakable("<x>.y")) == "&lt;x&gt;.<wbr>y"


def test_the_not_drawn_table_lists_what_the_cap_left_out(ctx: Any, operator: Any) -> None:
    from tests.services.test_lineage_explorer import _hub

    _hub(ctx, operator, fanout=8)
    focus = "urn:sounding:hub:main.hub"
    graph = lineage_explorer.explore(ctx, operator, focus, limit=3)
    html = ENV.get_template("lineage/_overflow.html").render(
        graph=graph, limit=3, url=url_maker(focus, 1, "table", graph.expanded)
    )
    assert "Not drawn: 5 more neighbours" in html
    assert "at most 3 assets" in html
    assert html.count("downstream of main.hub") == 5
    assert "/lineage?focus=urn:sounding:hub:main.t007" in html  # focus on a left-out one
    assert lineage_explorer.explore(ctx, operator, focus).overflow_total == 0
    nothing = ENV.get_template("lineage/_overflow.html").render(
        graph=lineage_explorer.explore(ctx, operator, focus), limit=200, url=str
    )
    assert nothing.strip() == ""
