"""The embedded engine end to end: ranking rules, filters, facets, paging, persistence."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from sounding.domain.search import (
    MatchReason,
    SearchDocument,
    SearchFilters,
    SearchMode,
    SearchQuery,
)
from sounding.errors import InvalidInputError, StoreError
from sounding.search.embeddings import StaticEmbedder
from sounding.search.engine import SearchEngine
from sounding.search.index import open_index
from sounding.search.ranking import RankingConfig
from sounding.search.text_index import TextIndex
from tests.search.conftest import make_doc

CORPUS = [
    make_doc("main.orders", columns=("order_id", "customer_id", "amount")),
    make_doc("main.order_items", columns=("order_id", "product_id", "quantity")),
    make_doc("main.customers", columns=("customer_id", "email", "phone_number")),
    make_doc("main.customers.email", type="column", classifications=("PII.Email",)),
    make_doc("main.customers.phone_number", type="column", classifications=("PII.Phone",)),
    make_doc(
        "main.daily_revenue",
        type="view",
        description="Gross sales per day with a seven day average",
        tags=("gold", "kpi"),
        domain="finance",
        owner="finance@shop.example",
        criticality="critical",
        lifecycle="production",
        quality=0.95,
    ),
    make_doc(
        "main.legacy_orders",
        description="Old order export",
        lifecycle="deprecated",
        quality=0.2,
    ),
    make_doc("main.tracks", source="music", columns=("track_id", "album_id", "composer")),
    make_doc("main.albums", source="music", columns=("album_id", "title", "artist_id")),
    make_doc("main.MediaType", source="music", columns=("MediaTypeId", "Name")),
    make_doc("main.rental", source="films", columns=("rental_id", "rental_date", "film_id")),
]


def search(engine: SearchEngine, text: str, **kw: object) -> list[str]:
    page = engine.search(SearchQuery(text, **kw))  # type: ignore[arg-type]
    return [h.qualified_name for h in page.items]


@pytest.fixture
def loaded(engine: SearchEngine) -> SearchEngine:
    engine.rebuild(CORPUS)
    return engine


def test_exact_name_ranks_first_even_against_heavier_text(loaded: SearchEngine) -> None:
    for mode in SearchMode:
        if mode is SearchMode.SEMANTIC:
            continue
        assert search(loaded, "orders", mode=mode)[0] == "main.orders"
        assert search(loaded, "main.customers.email", mode=mode)[0] == "main.customers.email"
    page = loaded.search(SearchQuery("ORDERS"))
    assert page.items[0].reasons[0] is MatchReason.EXACT


def test_name_outweighs_description_and_columns(loaded: SearchEngine) -> None:
    hits = search(loaded, "order", mode=SearchMode.KEYWORD)
    # 'order' is in the names of orders / order_items, only in the description of legacy
    assert hits.index("main.order_items") < hits.index("main.legacy_orders")
    assert (
        hits.index("main.orders") < hits.index("main.customers")
        if "main.customers" in hits
        else True
    )


def test_prefix_typo_and_split_names_match(loaded: SearchEngine) -> None:
    assert search(loaded, "cust", mode=SearchMode.KEYWORD)[0] == "main.customers"
    assert search(loaded, "custmers", mode=SearchMode.KEYWORD)[0] == "main.customers"
    assert search(loaded, "media type", mode=SearchMode.KEYWORD)[0] == "main.MediaType"
    assert search(loaded, "mediatype", mode=SearchMode.KEYWORD)[0] == "main.MediaType"
    assert search(loaded, "ordr", mode=SearchMode.KEYWORD) == []  # 4 letters: no typo


def test_boosts_sink_deprecated_and_lift_critical_popular_good(engine: SearchEngine) -> None:
    same = {"columns": ("payment_id", "amount")}
    engine.rebuild(
        [
            make_doc("a.payments_old", lifecycle="deprecated", **same),
            make_doc("b.payments_plain", **same),
            make_doc("c.payments_gold", criticality="critical", quality=1.0, **same),
            make_doc("d.payments_used", popularity=500, **same),
        ]
    )
    hits = search(engine, "payments", mode=SearchMode.KEYWORD)
    assert hits[-1] == "a.payments_old"
    assert hits.index("c.payments_gold") < hits.index("b.payments_plain")
    assert hits.index("d.payments_used") < hits.index("b.payments_plain")


def test_reasons_and_snippets_say_why(loaded: SearchEngine) -> None:
    page = loaded.search(SearchQuery("sales", mode=SearchMode.KEYWORD))
    hit = page.items[0]
    assert hit.qualified_name == "main.daily_revenue"
    assert hit.reasons == (MatchReason.DESCRIPTION,)
    assert hit.snippet == "Gross <mark>sales</mark> per day with a seven day average"
    email = loaded.search(SearchQuery("PII", mode=SearchMode.KEYWORD)).items
    assert {h.qualified_name for h in email} == {
        "main.customers.email",
        "main.customers.phone_number",
    }
    assert all(h.reasons == (MatchReason.CLASSIFICATION,) for h in email)
    cols = loaded.search(SearchQuery("composer", mode=SearchMode.KEYWORD)).items[0]
    assert cols.reasons == (MatchReason.COLUMN,)
    assert cols.snippet == "columns: <mark>composer</mark>"
    tag = loaded.search(SearchQuery("kpi", mode=SearchMode.KEYWORD)).items[0]
    assert MatchReason.TAG in tag.reasons
    owner = loaded.search(SearchQuery("finance", mode=SearchMode.KEYWORD)).items[0]
    assert owner.reasons == (MatchReason.OWNER, MatchReason.DOMAIN)


def test_semantic_search_finds_words_the_names_do_not_contain(loaded: SearchEngine) -> None:
    assert "main.tracks" in search(loaded, "songs and music", mode=SearchMode.SEMANTIC)[:3]
    page = loaded.search(SearchQuery("movie rentals"))
    assert page.items[0].qualified_name == "main.rental"
    assert MatchReason.SEMANTIC in page.items[0].reasons


def test_filters_restrict_and_facets_count(loaded: SearchEngine) -> None:
    f = SearchFilters(types=("column",))
    assert set(search(loaded, "", filters=f)) == {
        "main.customers.email",
        "main.customers.phone_number",
    }
    assert search(loaded, "", filters=SearchFilters(sources=("films",))) == ["main.rental"]
    assert search(loaded, "", filters=SearchFilters(classifications=("PII",)))  # ancestor
    assert search(loaded, "", filters=SearchFilters(tags=("kpi",))) == ["main.daily_revenue"]
    assert search(
        loaded, "", filters=SearchFilters(domains=("finance",), criticalities=("critical",))
    )
    assert search(loaded, "", filters=SearchFilters(lifecycles=("deprecated",))) == [
        "main.legacy_orders"
    ]
    assert search(loaded, "", filters=SearchFilters(quality_min=0.9)) == ["main.daily_revenue"]
    assert search(loaded, "", filters=SearchFilters(owners=("nobody",))) == []
    page = loaded.search(SearchQuery("", limit=50))
    assert page.total == len(CORPUS)
    assert page.facets["type"] == {"table": 8, "column": 2, "view": 1}
    assert page.facets["source"] == {"shop": 7, "music": 3, "films": 1}
    assert page.facets["classification"] == {"PII": 2, "PII.Email": 1, "PII.Phone": 1}


def test_deleted_assets_are_hidden_unless_asked_for(loaded: SearchEngine) -> None:
    gone = replace(CORPUS[0], deleted=True)
    loaded.apply([gone])
    loaded.commit()
    assert "main.orders" not in search(loaded, "orders")
    assert search(loaded, "orders", filters=SearchFilters(deleted=True)) == ["main.orders"]
    assert "main.orders" in search(loaded, "orders", filters=SearchFilters(deleted=None))


def test_paging_is_stable_and_complete(loaded: SearchEngine) -> None:
    for mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
        whole = loaded.search(SearchQuery("id", limit=50, mode=mode))
        pages = [
            h.urn
            for offset in range(0, whole.total, 3)
            for h in loaded.search(SearchQuery("id", limit=3, offset=offset, mode=mode)).items
        ]
        assert pages == [h.urn for h in whole.items]
        assert len(set(pages)) == whole.total


def test_updates_replace_and_deletes_remove(loaded: SearchEngine) -> None:
    renamed = replace(CORPUS[7], description="Every song in the shop")
    loaded.apply([renamed], deletes=[CORPUS[8].urn])
    assert "main.albums" in search(loaded, "albums")  # not visible before commit
    loaded.commit()
    assert search(loaded, "song", mode=SearchMode.KEYWORD) == ["main.tracks"]
    assert "main.albums" not in search(loaded, "albums", mode=SearchMode.KEYWORD)
    assert len(loaded) == len(CORPUS) - 1
    loaded.apply([renamed])  # idempotent
    loaded.commit()
    assert len(loaded) == len(CORPUS) - 1


def test_index_survives_reopen_including_vectors(tmp_path: Path, embedder: StaticEmbedder) -> None:
    first = SearchEngine(tmp_path / "ix", embedder=embedder)
    assert first.needs_rebuild
    first.rebuild(CORPUS[:5])
    first.apply(CORPUS[5:])  # goes through the vector log, not the snapshot
    first.commit()
    del first  # no close: a crash after commit
    again = SearchEngine(tmp_path / "ix", embedder=embedder)
    assert not again.needs_rebuild
    assert len(again) == len(CORPUS)
    assert len(again.vectors or ()) == len(CORPUS)
    assert "main.tracks" in search(again, "songs and music", mode=SearchMode.SEMANTIC)[:3]


def test_incompatible_index_is_discarded(tmp_path: Path, embedder: StaticEmbedder) -> None:
    eng = SearchEngine(tmp_path / "ix", embedder=embedder)
    eng.rebuild(CORPUS)
    eng.close()
    meta = tmp_path / "ix" / "meta.json"
    meta.write_text(json.dumps({"format": 0}))
    again = SearchEngine(tmp_path / "ix", embedder=embedder)
    assert again.needs_rebuild and len(again) == 0


def test_keyword_only_index_works_without_a_model(keyword_engine: SearchEngine) -> None:
    keyword_engine.rebuild(CORPUS)
    assert search(keyword_engine, "movie rentals")[0] == "main.rental"
    assert keyword_engine.search(SearchQuery("songs")).total == 0


def test_open_index_builds_the_default_engine(tmp_path: Path) -> None:
    index = open_index(tmp_path / "ix", embedder="none")
    index.rebuild(CORPUS)
    assert index.search(SearchQuery("orders")).items[0].name == "orders"


def test_bad_queries_are_rejected() -> None:
    with pytest.raises(InvalidInputError):
        SearchQuery("x", limit=0)
    with pytest.raises(InvalidInputError):
        SearchQuery("x", offset=-1)
    with pytest.raises(InvalidInputError):
        SearchQuery("x", filters=SearchFilters(quality_min=2.0))


def test_page_serialises_to_the_api_shape(loaded: SearchEngine) -> None:
    data = loaded.search(SearchQuery("orders", limit=2)).to_dict()
    assert set(data) == {"items", "total", "facets"}
    item = data["items"][0]
    assert {"id", "urn", "name", "qualified_name", "type", "score", "snippet", "reasons"} <= set(
        item
    )
    assert item["reasons"][0] == "exact"


def test_rebuild_keeps_the_last_of_repeated_urns(engine: SearchEngine) -> None:
    first = make_doc("main.dupe", description="first")
    docs = [first, *CORPUS, replace(first, description="second version")]
    assert engine.rebuild(docs) == len(CORPUS) + 1
    page = engine.search(SearchQuery("dupe", mode=SearchMode.KEYWORD))
    assert page.total == 1 and page.items[0].description == "second version"
    assert len(engine.vectors or ()) == len(CORPUS) + 1


def test_an_interrupted_rebuild_is_asked_for_again(tmp_path: Path) -> None:
    def docs_then_crash() -> Iterator[SearchDocument]:
        yield from CORPUS
        raise KeyboardInterrupt

    eng = SearchEngine(tmp_path / "ix", embedder=None)
    eng.rebuild(CORPUS)
    with pytest.raises(KeyboardInterrupt):
        eng.rebuild(docs_then_crash())
    del eng
    assert SearchEngine(tmp_path / "ix", embedder=None).needs_rebuild


SECOND_PROCESS = """
import sys
from pathlib import Path
from sounding.errors import StoreError
from sounding.search.ranking import RankingConfig
from sounding.search.text_index import TextIndex
try:
    TextIndex(Path(sys.argv[1]), RankingConfig())
except StoreError as exc:
    print(exc)
"""


def test_a_second_process_on_the_same_index_is_told_what_to_do(tmp_path: Path) -> None:
    first = TextIndex(tmp_path / "text", RankingConfig())
    try:
        other = subprocess.run(
            [sys.executable, "-c", SECOND_PROCESS, str(tmp_path / "text")],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "in use by another Sounding process" in other.stdout, other
        # the same directory opened twice in one process is a bug of ours, and said so
        with pytest.raises(StoreError, match="already open in this process"):
            TextIndex(tmp_path / "text", RankingConfig())
    finally:
        first.close()
    TextIndex(tmp_path / "text", RankingConfig()).close()  # free again once closed


def test_answered_pages_are_reused_until_the_next_commit(loaded: SearchEngine) -> None:
    """Issue 20: a repeated query is answered from the snapshot's page cache, never after a
    commit changed the index (a write must show at once), and the cache stays bounded."""
    from sounding.search import engine as engine_module

    query = SearchQuery("albums")
    first = loaded.search(query)
    assert loaded.search(SearchQuery("albums")) is first  # equal queries share the page
    assert loaded.search(SearchQuery("albums", limit=5)) is not first
    loaded.apply([replace(CORPUS[8], name="records", description="Every record")])
    loaded.commit()
    again = loaded.search(query)
    assert again is not first
    assert [h.name for h in again.items if h.qualified_name == "main.albums"] == ["records"]
    loaded.apply([], deletes=[CORPUS[8].urn])
    loaded.commit()
    assert "main.albums" not in [h.qualified_name for h in loaded.search(query).items]
    for n in range(engine_module.PAGE_CACHE + 50):
        loaded.search(SearchQuery(f"albums {n}", mode=SearchMode.KEYWORD))
    assert len(loaded._pages) == engine_module.PAGE_CACHE
