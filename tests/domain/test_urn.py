from __future__ import annotations

import pytest

from sounding.domain.urn import join_qualified, make_urn, parse_urn, split_qualified
from sounding.errors import InvalidInputError

ODD = [
    ("main", "public", "orders"),
    ("main", "has.dot"),
    ("db", 'quo"te', "Mixed Case"),
    ("Ünïcødé", "tëst", "列"),
    ("a b", "", "c#d:e"),
]


@pytest.mark.parametrize("path", ODD)
def test_qualified_names_round_trip(path: tuple[str, ...]) -> None:
    assert split_qualified(join_qualified(path)) == path


@pytest.mark.parametrize("path", ODD)
@pytest.mark.parametrize("column", [None, "id", "has.dot", 'q"c', "x#y", "a:b"])
@pytest.mark.parametrize("source", ["shop", "my source", "s:1"])
def test_urns_round_trip(source: str, path: tuple[str, ...], column: str | None) -> None:
    urn = make_urn(source, path, column)
    assert parse_urn(urn) == (source, path, column)


def test_plain_names_stay_readable() -> None:
    assert make_urn("shop", ("main", "public", "orders"), "customer_id") == (
        "urn:sounding:shop:main.public.orders#customer_id"
    )


def test_bad_input_is_rejected_with_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="must start with"):
        parse_urn("shop:main.orders")
    with pytest.raises(InvalidInputError, match="Unbalanced"):
        split_qualified('main."open')
