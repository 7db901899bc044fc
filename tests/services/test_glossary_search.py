"""Glossary terms in search: terms are documents, linked assets carry their terms and
synonyms, completions include term names, and the index never drifts from the store after
random glossary changes (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.search import SearchFilters, SearchMode, SearchQuery
from sounding.errors import SoundingError
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import repo as glossary_repo
from sounding.features.glossary import service as glossary
from sounding.features.glossary.search import TermDocuments
from sounding.search.oracle import BruteForceMatcher
from sounding.services import scans, search, sources
from sounding.store.repos import assets as asset_repo
from tests.factories import sqlite_source

CUSTOMERS = "urn:sounding:shop:main.customers"


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Any:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(any_ctx, operator, "shop")
    return any_ctx


def _hits(ctx: Any, operator: Any, q: str, **kw: Any) -> list[tuple[str, str]]:
    page = search.search(ctx, operator, q, mode="keyword", limit=50, **kw)
    return [(h["type"], h["name"]) for h in page["items"]]


def test_terms_and_linked_assets_are_found_by_synonyms(shop: Any, operator: Any) -> None:
    term = glossary.create_term(
        shop,
        operator,
        {"path": "/Patron", "synonyms": ["Clientele"], "abbreviations": ["PTN"]},
    )
    assert _hits(shop, operator, "clientele") == [("glossary_term", "Patron")]
    assert ("glossary_term", "Patron") in _hits(shop, operator, "PTN")
    glossary_links.link(shop, operator, term.id, CUSTOMERS)
    hits = _hits(shop, operator, "clientele")
    assert ("table", "customers") in hits and ("glossary_term", "Patron") in hits
    page = search.search(shop, operator, "clientele", mode="keyword")
    table = next(h for h in page["items"] if h["type"] == "table")
    assert "glossary" in table["reasons"]
    # a synonym edited on the term reaches the linked asset's document through the outbox
    glossary.update_term(shop, operator, term.id, {"synonyms": ["Regulars"]})
    assert ("table", "customers") in _hits(shop, operator, "regulars")
    assert ("table", "customers") not in _hits(shop, operator, "clientele")
    only_terms = _hits(shop, operator, "regulars", filters={"types": ("glossary_term",)})
    assert only_terms == [("glossary_term", "Patron")]
    glossary_links.unlink(shop, operator, term.id, CUSTOMERS)
    assert _hits(shop, operator, "regulars") == [("glossary_term", "Patron")]
    glossary.delete_term(shop, operator, term.id)
    assert _hits(shop, operator, "regulars") == []


def test_suggest_completes_glossary_term_names(shop: Any, operator: Any) -> None:
    glossary.create_term(shop, operator, {"path": "/Customer Lifetime Value"})
    items = search.suggest(shop, operator, "cust").items
    kinds = {(i.text, i.kind) for i in items}
    assert ("Customer Lifetime Value", "term") in kinds and ("customers", "asset") in kinds
    glossary.update_term(shop, operator, "/Customer Lifetime Value", {"name": "Lifetime Value"})
    texts = [i.text for i in search.suggest(shop, operator, "cust").items]
    assert "Customer Lifetime Value" not in texts
    assert "Lifetime Value" in [i.text for i in search.suggest(shop, operator, "life").items]


def test_reindex_includes_terms(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "s.db"))
    scans.run_scan(ctx, operator, "shop")
    glossary.create_term(ctx, operator, {"path": "/Revenue"})
    assert search.reindex(ctx) == 14  # 13 assets and one term
    assert _hits(ctx, operator, "revenue") == [("glossary_term", "Revenue")]


# --- drift ---------------------------------------------------------------------------------

NAMES = ["Customer", "Order", "Email", "Amount", "Buyer", "Invoice"]
SYNONYMS = ["client", "purchase", "mail", "total", "shopper", "bill"]
QUERIES = ["customer", "client", "purchase", "mail", "bill", "order email", "shopper", "zzz"]
FILTERS = [
    SearchFilters(),
    SearchFilters(types=("glossary_term",)),
    SearchFilters(types=("table",)),
]


def _store_oracle(ctx: Any) -> BruteForceMatcher:
    with ctx.db.read() as conn:
        ids = asset_repo.all_ids(conn, 0, 10**9)
        term_ids = glossary_repo.term_ids_after(conn, 0, 10**9)
        terms, _ = TermDocuments().documents(conn, term_ids)
    docs, _ = search.documents(ctx, ids)
    oracle = BruteForceMatcher()
    oracle.apply(docs + terms, [])
    return oracle


def _all_urns(ctx: Any, operator: Any, text: str, filters: SearchFilters) -> set[str]:
    f = {k: getattr(filters, k) for k in filters.__dataclass_fields__}
    page = search.search(ctx, operator, text, limit=200, mode="keyword", filters=f)
    return {h["urn"] for h in page["items"]}


def _round(ctx: Any, operator: Any, rng: random.Random, assets: list[str]) -> None:
    terms, _ = glossary.list_terms(ctx, operator, limit=100)
    action = rng.choice(["create", "create", "edit", "move", "link", "link", "unlink", "delete"])
    if action == "create" or not terms:
        name = f"{rng.choice(NAMES)} {rng.randint(0, 99)}"
        parent = rng.choice([None, *[t.path for t in terms]])
        with contextlib.suppress(SoundingError):  # a duplicate among siblings: no change
            glossary.create_term(
                ctx, operator, {"name": name, "parent": parent, "synonyms": rng.sample(SYNONYMS, 2)}
            )
        return
    t = rng.choice(terms)
    if action == "edit":
        glossary.update_term(ctx, operator, t.id, {"synonyms": rng.sample(SYNONYMS, 2)})
    elif action == "move":
        target = rng.choice([None, *[x.path for x in terms if x.id != t.id]])
        with contextlib.suppress(SoundingError):  # a cycle or a duplicate: refused
            glossary.update_term(ctx, operator, t.id, {"parent": target or ""})
    elif action == "link":
        glossary_links.link(ctx, operator, t.id, rng.choice(assets))
    elif action == "unlink":
        linked, n = glossary_links.term_assets(ctx, operator, t.id)
        if n:
            glossary_links.unlink(ctx, operator, t.id, linked[0].urn)
    else:
        glossary.delete_term(ctx, operator, t.id, recursive=True)


@pytest.mark.parametrize("seed", [3, 5])
def test_search_equals_a_brute_force_scan_after_glossary_changes(
    shop: Any, operator: Any, seed: int
) -> None:
    rng = random.Random(seed)
    assets = [a["urn"] for a in search.search(shop, operator, "", limit=200)["items"]]
    for step in range(16):
        _round(shop, operator, rng, assets)
        if step % 4 == 3:
            oracle = _store_oracle(shop)
            for text in QUERIES:
                for filters in FILTERS:
                    query = SearchQuery(text, filters=filters, mode=SearchMode.KEYWORD)
                    expected = oracle.search(replace(query, limit=200)).urns
                    got = _all_urns(shop, operator, text, filters)
                    assert got == expected, f"seed={seed} step={step} q={text!r} {filters}"
