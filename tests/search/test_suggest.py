"""Completions: asset names by any word start, glossary terms, recent queries; kept in step
with index changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sounding.domain.search import GLOSSARY_TERM, SuggestionKind
from sounding.search.engine import SearchEngine
from sounding.search.suggest import SuggestIndex
from tests.search.conftest import make_doc


def texts(engine: SearchEngine | SuggestIndex, prefix: str, limit: int = 10) -> list[str]:
    return [s.text for s in engine.suggest(prefix, limit)]


def test_completes_names_from_any_word_start(keyword_engine: SearchEngine) -> None:
    docs = [
        make_doc("main.raw_customers"),
        make_doc("main.customers"),
        make_doc("main.customers.customer_id", type="column"),
        make_doc("main.orders.customer_id", type="column"),
        make_doc("main.MediaType"),
        make_doc("main.orders"),
    ]
    keyword_engine.rebuild(docs)
    got = keyword_engine.suggest("cust")
    # names that start with the prefix come first; tables before a column shared by two
    assert [s.text for s in got][:2] == ["customers", "customer_id"]
    assert "raw_customers" in [s.text for s in got]  # by a later word
    assert got[1].count == 2 and got[1].type == "column"
    assert texts(keyword_engine, "type") == ["MediaType"]
    assert texts(keyword_engine, "media t") == ["MediaType"]
    assert texts(keyword_engine, "zz") == []


def test_follows_changes_and_hides_deleted(keyword_engine: SearchEngine) -> None:
    orders = make_doc("main.orders")
    keyword_engine.rebuild([orders])
    assert texts(keyword_engine, "ord") == ["orders"]
    keyword_engine.apply([replace(orders, name="purchases", qualified_name="main.purchases")])
    keyword_engine.commit()
    assert texts(keyword_engine, "ord") == []
    assert texts(keyword_engine, "purch") == ["purchases"]
    keyword_engine.apply([make_doc("main.refunds", deleted=True)])
    keyword_engine.apply(deletes=[orders.urn])
    assert texts(keyword_engine, "ref") == []
    assert texts(keyword_engine, "purch") == []


def test_suggestions_are_rebuilt_after_reopening(tmp_path: Path) -> None:
    first = SearchEngine(tmp_path / "ix", embedder=None)
    first.rebuild([make_doc("main.invoices"), make_doc("g.Revenue", type=GLOSSARY_TERM)])
    first.close()
    again = SearchEngine(tmp_path / "ix", embedder=None)
    assert texts(again, "inv") == ["invoices"]
    term = again.suggest("reve")[0]
    assert term.kind is SuggestionKind.TERM and term.text == "Revenue"


def test_recent_queries_are_suggested_most_used_first() -> None:
    index = SuggestIndex(max_queries=3)
    for q in ["customer churn", "customer email", "customer email", "orders"]:
        index.record_query(q)
    got = index.suggest("customer", limit=6)
    assert [(s.text, s.kind) for s in got] == [
        ("customer email", SuggestionKind.QUERY),
        ("customer churn", SuggestionKind.QUERY),
    ]
    index.record_query("x1")
    index.record_query("x2")
    assert index.suggest("customer churn") == []  # least recent forgotten


def test_many_additions_stay_searchable_across_merges() -> None:
    index = SuggestIndex()
    for i in range(6000):
        index.add(f"table_{i:05d}", "table")
    assert texts(index, "table_0599") == [f"table_0599{i}" for i in range(10)]
    index.remove("table_05991", "table")
    assert "table_05991" not in texts(index, "table_0599")


def test_counts_stay_right_when_changes_repeat_before_a_commit(
    keyword_engine: SearchEngine,
) -> None:
    orders = make_doc("main.orders")
    keyword_engine.rebuild([orders, make_doc("x.orders")])
    assert keyword_engine.suggest("ord")[0].count == 2
    keyword_engine.apply([replace(orders, description="v2")])
    keyword_engine.apply([replace(orders, description="v3")])  # same URN, no commit between
    assert keyword_engine.suggest("ord")[0].count == 2
    keyword_engine.commit()
    assert keyword_engine.suggest("ord")[0].count == 2


def test_suggestions_loaded_mid_batch_include_the_uncommitted_changes(tmp_path: Path) -> None:
    engine = SearchEngine(tmp_path / "ix", embedder=None)
    engine.rebuild([make_doc("main.orders")])
    engine.apply([make_doc("main.invoices")], deletes=["urn:sounding:shop:main.orders"])
    assert texts(engine, "inv") == ["invoices"]  # first call loads, mid-batch
    assert texts(engine, "ord") == []
    engine.commit()
    assert texts(engine, "inv") == ["invoices"]
