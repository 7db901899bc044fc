"""The index never drifts: after random create / update / delete sequences, keyword search
returns exactly what a brute-force scan of the live documents returns."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from sounding.domain.search import SearchDocument, SearchFilters, SearchMode, SearchQuery
from sounding.search.engine import SearchEngine
from sounding.search.oracle import BruteForceMatcher
from tests.search.conftest import make_doc

WORDS = [
    "customer",
    "order",
    "invoice",
    "payment",
    "product",
    "shipment",
    "address",
    "email",
    "refund",
    "rental",
]
EXTRA = ["id", "date", "amount", "status", "name", "code", "total", "line", "item"]
TYPES = ("table", "view", "column", "dataset")
QUERIES = [
    "customer",
    "customers email",
    "custmer",  # typo
    "invoce",
    "ship",  # prefix
    "ord",
    "order_id",
    "OrderId",
    "refund amount status",
    "PII",
    "finance",
    "the",
    "zzz",
    "",
]
FILTERS = [
    SearchFilters(),
    SearchFilters(types=("column",)),
    SearchFilters(sources=("b",), tags=("gold", "pii")),
    SearchFilters(classifications=("PII",), deleted=None),
    SearchFilters(quality_min=0.5, lifecycles=("production",)),
    SearchFilters(deleted=True),
    SearchFilters(missing=("owner",)),
    SearchFilters(missing=("domain", "tag"), types=("table", "view")),
    SearchFilters(missing=("classification",), owners=("ops@x",)),
    SearchFilters(terms=("Customer", "Order")),
    SearchFilters(missing=("term",), types=("column",)),
]


def random_doc(rng: random.Random, urn_pool: list[str]) -> SearchDocument:
    name = "_".join(rng.sample(WORDS, rng.randint(1, 2)) + rng.sample(EXTRA, rng.randint(0, 1)))
    if rng.random() < 0.2:
        name = "".join(p.title() for p in name.split("_"))  # CamelCase
    schema = rng.choice(["main", "sales", "ops"])
    source = rng.choice("abc")
    doc = make_doc(f"{schema}.{name}", type=rng.choice(TYPES), source=source)
    urn = rng.choice(urn_pool) if urn_pool and rng.random() < 0.4 else doc.urn
    return replace(
        doc,
        urn=urn,
        description=rng.choice([None, "Every " + " ".join(rng.sample(WORDS + EXTRA, 4))]),
        tags=tuple(rng.sample(["gold", "pii", "kpi", "raw"], rng.randint(0, 2))),
        classifications=tuple(
            rng.sample(["PII.Email", "PII.Phone", "PCI.Card"], rng.randint(0, 1))
        ),
        columns=tuple(rng.sample(EXTRA + WORDS, rng.randint(0, 4))),
        owner=rng.choice([None, "finance@x", "ops@x"]),
        domain=rng.choice([None, "finance", "logistics"]),
        lifecycle=rng.choice([None, "production", "deprecated"]),
        criticality=rng.choice([None, "low", "critical"]),
        quality=rng.choice([None, 0.1, 0.5, 0.9]),
        popularity=rng.choice([0.0, 10.0, 1000.0]),
        deleted=rng.random() < 0.15,
        terms=tuple(rng.sample(["Customer", "Revenue", "Order"], rng.randint(0, 2))),
    )


def all_urns(engine: SearchEngine, query: SearchQuery) -> list[str]:
    out: list[str] = []
    offset = 0
    while True:
        page = engine.search(replace(query, limit=200, offset=offset, facets=False))
        out.extend(h.urn for h in page.items)
        offset += 200
        if offset >= page.total:
            return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_never_make_search_drift(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    engine = SearchEngine(tmp_path / "ix", embedder=None)
    oracle = BruteForceMatcher(engine.config)
    urns: list[str] = []
    for _round in range(6):
        upserts = [random_doc(rng, urns) for _ in range(rng.randint(5, 60))]
        upserts = list({d.urn: d for d in upserts}.values())  # one version per batch
        deletes = rng.sample(urns, min(len(urns), rng.randint(0, 8)))
        deletes = [u for u in deletes if u not in {d.urn for d in upserts}]
        engine.apply(upserts, deletes)
        oracle.apply(upserts, deletes)
        engine.commit()
        urns = sorted((set(urns) | {d.urn for d in upserts}) - set(deletes))
        for text in QUERIES:
            for filters in FILTERS:
                query = SearchQuery(text, filters=filters, mode=SearchMode.KEYWORD)
                expected = oracle.search(query)
                page = engine.search(replace(query, limit=200))
                got = all_urns(engine, query)
                context = f"seed={seed} q={text!r} filters={filters}"
                assert set(got) == expected.urns, context
                assert len(got) == page.total == expected.total, context
                assert set(got[: len(expected.exact)]) == expected.exact, context
                assert page.facets == {k: v for k, v in expected.facets.items()}, context
    engine.close()


def test_the_oracle_agrees_on_the_corpus_it_was_written_for(tmp_path: Path) -> None:
    """Sanity of the oracle itself: it finds what a person would call a match."""
    oracle = BruteForceMatcher()
    docs = [make_doc("main.customer_orders"), make_doc("main.invoices", tags=("billing",))]
    oracle.apply(docs)
    assert oracle.search(SearchQuery("custmer")).urns == {docs[0].urn}
    assert oracle.search(SearchQuery("bill")).urns == {docs[1].urn}
    assert oracle.search(SearchQuery("main.invoices")).exact == {docs[1].urn}
    oracle.apply(deletes=[docs[1].urn])
    assert oracle.search(SearchQuery("")).total == 1
