"""Search never drifts from the store: after random catalog writes through the services
(scans of a changing source, curation, label decisions, removed sources), keyword search
returns exactly what a brute-force scan of the store returns. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.search import SearchFilters, SearchMode, SearchQuery
from sounding.search.oracle import BruteForceMatcher
from sounding.services import catalog, classification, scans, search, sources
from sounding.store.repos import assets as asset_repo
from tests.factories import execute, sqlite_source

WORDS = ["customer", "order", "invoice", "payment", "shipment", "refund", "rental", "email"]
QUERIES = ["customer", "order email", "invoce", "ship", "payment_id", "gold", "PII", "zzz"]
FILTERS = [
    SearchFilters(),
    SearchFilters(types=("column",)),
    SearchFilters(deleted=None),
    SearchFilters(tags=("gold",)),
    SearchFilters(classifications=("PII",)),
]


def _store_oracle(ctx: Any) -> BruteForceMatcher:
    """Documents built straight from the store, matched by brute force."""
    with ctx.db.read() as conn:
        ids = asset_repo.all_ids(conn, 0, 10**9)
    docs, _ = search.documents(ctx, ids)
    oracle = BruteForceMatcher()
    oracle.apply(docs, [])
    return oracle


def _all_urns(ctx: Any, operator: Any, text: str, filters: SearchFilters) -> set[str]:
    f = {k: getattr(filters, k) for k in filters.__dataclass_fields__}
    found: set[str] = set()
    offset = 0
    while True:
        page = search.search(
            ctx, operator, text, limit=200, offset=offset, mode="keyword", filters=f
        )
        found |= {h["urn"] for h in page["items"]}
        offset += 200
        if offset >= page["total"]:
            return found


def _round(ctx: Any, operator: Any, rng: random.Random, db: Path, tables: set[str]) -> None:
    action = rng.choice(["create", "create", "drop", "alter", "curate", "label"])
    if action == "create" or not tables:
        name = "_".join(rng.sample(WORDS, 2))
        if name not in tables:
            cols = ", ".join(f"{w}_id INTEGER" for w in rng.sample(WORDS, 3))
            execute(db, f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, {cols})")
            tables.add(name)
    elif action == "drop":
        name = rng.choice(sorted(tables))
        execute(db, f"DROP TABLE {name}")
        tables.discard(name)
    elif action == "alter":
        execute(
            db,
            f"ALTER TABLE {rng.choice(sorted(tables))} "
            f"ADD COLUMN {rng.choice(WORDS)}_{rng.randint(0, 999)} TEXT",
        )
    scans.run_scan(ctx, operator, "shop")
    live = catalog.list_assets(ctx, operator, limit=1000, offset=0, source="shop")[0]
    if action == "curate" and live:
        target = rng.choice(live)
        catalog.update_asset(
            ctx,
            operator,
            target.id,
            {
                "description": " ".join(rng.sample(WORDS, 3)),
                "tags": rng.sample(["gold", "raw", "kpi"], rng.randint(0, 2)),
                "owner": rng.choice([None, "finance@x"]),
            },
        )
    columns = [a for a in live if a.type == "column"]
    if action == "label" and columns:
        col = rng.choice(columns)
        status = rng.choice(["confirmed", "rejected"])
        classification.decide(ctx, operator, col.id, "PII.Email", status)


@pytest.mark.parametrize("seed", [7, 11])
def test_search_equals_a_brute_force_scan_of_the_store(
    any_ctx: Any, operator: Any, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db, "CREATE TABLE seed (id INT);"))
    tables: set[str] = {"seed"}
    for step in range(8):
        _round(any_ctx, operator, rng, db, tables)
        if step % 4 == 3:
            oracle = _store_oracle(any_ctx)
            for text in QUERIES:
                for filters in FILTERS:
                    query = SearchQuery(text, filters=filters, mode=SearchMode.KEYWORD)
                    expected = oracle.search(replace(query, limit=200))
                    got = _all_urns(any_ctx, operator, text, filters)
                    assert got == expected.urns, f"seed={seed} step={step} q={text!r} {filters}"
    sources.remove(any_ctx, operator, "shop")  # hard deletes leave the index too
    assert _all_urns(any_ctx, operator, "customer", SearchFilters(deleted=None)) == set()


def test_reindex_rebuilds_the_same_answers(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "s.db"))
    scans.run_scan(ctx, operator, "shop")
    before = search.search(ctx, operator, "orders", mode="keyword")
    assert before["items"][0]["qualified_name"] == "main.orders"  # exact name first
    assert search.reindex(ctx) == 13
    after = search.search(ctx, operator, "orders", mode="keyword")
    assert [h["urn"] for h in after["items"]] == [h["urn"] for h in before["items"]]


def test_an_unreadable_cursor_is_logged_and_the_index_rebuilt(
    tmp_path: Path, operator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from sounding.services.context import build_context
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "home")
    first = build_context(settings)
    sources.add(first, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(first, operator, "shop")
    assert search.search(first, operator, "customers", mode="keyword")["total"] > 0
    first.close()
    cursor = search.index_path(first) / "outbox.cursor"
    assert cursor.is_file()
    cursor.write_text("not a number")  # a torn write, a hand edit
    again = build_context(settings)
    try:
        with caplog.at_level("WARNING", logger="sounding.services.search"):
            found = search.search(again, operator, "customers", mode="keyword")
    finally:
        again.close()
    assert found["total"] > 0  # rebuilt from the catalog, not empty
    assert "outbox.cursor is unreadable" in caplog.text
