"""The lineage explorer's URL parameters and CSV cells (no server needed)."""

from __future__ import annotations

import pytest

from sounding.errors import InvalidInputError
from sounding.ui.lineage import _cell, breakable, parse_depth, parse_expand, state_url


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


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("+1") == "'+1" and _cell("@x") == "'@x" and _cell("-2") == "'-2"
    assert _cell("ops@x.example") == "ops@x.example" and _cell(None) == "" and _cell(3) == "3"


def test_long_names_wrap_after_separators_and_stay_escaped() -> None:
    assert str(breakable("main.a_b")) == "main.<wbr>a_<wbr>b"
    assert str(breakable("<x>.y")) == "&lt;x&gt;.<wbr>y"
