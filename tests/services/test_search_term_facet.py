"""Search's glossary-term facet and filter: the names of accepted terms, an asset's own and
its columns', counted and filterable like any other facet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.services import scans, search, sources
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def test_term_facet_counts_and_filters_linked_assets(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(any_ctx, operator, "shop")
    buyer = glossary.create_term(
        any_ctx, operator, {"name": "Buyer", "definition": "Who pays", "synonyms": ["Shopper"]}
    )
    glossary.create_term(any_ctx, operator, {"name": "Unused", "definition": "Nothing"})
    glossary_links.link(any_ctx, operator, buyer.id, U + "customers#email")
    glossary_links.link(any_ctx, operator, buyer.id, U + "orders")

    everything = search.search(any_ctx, operator, "", limit=50, mode="keyword")
    # the column, its table, the linked table, and the term's own document (each term has one)
    assert everything["facets"]["term"] == {"Buyer": 4, "Unused": 1}
    found = search.search(
        any_ctx, operator, "", limit=50, mode="keyword", filters={"terms": ("Buyer",)}
    )
    assert {h["qualified_name"] for h in found["items"]} == {
        "main.customers.email",
        "main.customers",
        "main.orders",
        "/Buyer",
    }
    # a synonym is a word to search, not a term name to filter on
    assert (
        search.search(any_ctx, operator, "", mode="keyword", filters={"terms": ("Shopper",)})[
            "total"
        ]
        == 0
    )
    unlinked = search.search(
        any_ctx,
        operator,
        "",
        limit=50,
        mode="keyword",
        filters={"missing": ("term",), "types": ("table", "view")},
    )
    assert {h["name"] for h in unlinked["items"]} == {"big_orders"}
