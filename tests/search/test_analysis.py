"""Name splitting, folding, light stemming and the typo rule that search matching uses."""

from __future__ import annotations

import pytest

from sounding.search.analysis import (
    analyze,
    highlight,
    looks_like_identifier,
    normalize_exact,
    query_terms,
    query_words,
    split_words,
    stem,
    term_matches,
    within_one_edit,
)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("raw_customer_addresses", ("raw", "customer", "addresses")),
        ("MediaTypeId", ("media", "type", "id")),
        ("HTTPServer2", ("http", "server", "2")),
        ("main.orders", ("main", "orders")),
        ('"clickstream.parquet".event_id', ("clickstream", "parquet", "event", "id")),
        ("crm-data@shop.example", ("crm", "data", "shop", "example")),
        ("Café Crème", ("cafe", "creme")),
    ],
)
def test_names_split_into_the_words_people_read(name: str, words: tuple[str, ...]) -> None:
    assert split_words(name) == words


def test_index_terms_are_stemmed_and_keep_the_joined_identifier() -> None:
    assert analyze("raw_customer_addresses") == [
        "raw",
        "customer",
        "address",
        "rawcustomeraddress",
    ]
    assert analyze("TrackId") == ["track", "id", "trackid"]
    # stop words vanish from text, not from identifiers' joined form
    assert analyze("The list of all orders") == ["list", "order"]


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("orders", "order"),
        ("categories", "category"),
        ("addresses", "address"),
        ("boxes", "box"),
        ("movies", "movie"),
        ("status", "status"),
        ("analysis", "analysis"),
        ("bus", "bus"),
    ],
)
def test_plurals_meet_their_singular(plural: str, singular: str) -> None:
    assert stem(plural) == stem(singular) == singular


def test_one_edit_means_insert_delete_substitute_or_swap() -> None:
    assert within_one_edit("custmer", "customer")  # deletion
    assert within_one_edit("emial", "email")  # swap
    assert within_one_edit("adress", "address")
    assert within_one_edit("ordr", "order")
    assert within_one_edit("invoise", "invoice")  # substitution
    assert not within_one_edit("abcd", "badc")
    assert not within_one_edit("cust", "customer")


def test_typos_count_only_for_words_of_five_letters_or_more() -> None:
    assert term_matches("invoce", "invoice", prefix=False, fuzzy=True)
    assert not term_matches("ordr", "order", prefix=False, fuzzy=True)  # 4 letters
    assert term_matches("cus", "customer", prefix=True, fuzzy=False)
    assert not term_matches("cu", "customer", prefix=True, fuzzy=False)  # too short


def test_queries_keep_distinct_terms_and_words() -> None:
    assert query_terms("Customer customers CUSTOMER_ID") == ["customer", "id", "customerid"]
    assert query_words("raw_cust email") == ["raw", "cust", "email"]


def test_exact_comparison_ignores_case_quotes_and_spacing() -> None:
    assert normalize_exact('main."Order  Details"') == normalize_exact("MAIN.order details")


def test_identifier_like_queries_are_told_from_sentences() -> None:
    assert looks_like_identifier("raw_orders")
    assert looks_like_identifier("TrackId")
    assert looks_like_identifier("main.orders")
    assert not looks_like_identifier("movie rentals")


def test_highlight_marks_matches_escapes_html_and_cuts_long_text() -> None:
    text, hit = highlight("Orders <b>placed</b> by a customer", ["order", "customer"])
    assert hit
    assert text == "<mark>Orders</mark> &lt;b&gt;placed&lt;/b&gt; by a <mark>customer</mark>"
    long = "x " * 200 + "the customer table " + "y " * 200
    cut, _ = highlight(long, ["customer"], window=60)
    assert "<mark>customer</mark>" in cut and cut.startswith("…") and cut.endswith("…")
    assert highlight("MediaTypeId", ["type"])[0] == "Media<mark>Type</mark>Id"
