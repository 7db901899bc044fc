"""Usage recording (buffered views and searches), popularity, and query-log usage."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.domain.assets import AssetDetail, QueryLogEntry
from sounding.domain.auth import Principal, Role
from sounding.errors import InvalidInputError, NotFoundError, SourceError
from sounding.features.usage import repo
from sounding.features.usage import service as usage
from sounding.features.usage.records import QueryUsageAdded, UsageCount, UsageKind, popularity
from sounding.features.usage.tables import usage_daily
from sounding.services import catalog, scans, sources
from sounding.services.context import build_context
from sounding.services.sources import get_row
from sounding.store.tables import metadata
from tests.conftest import make_settings
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."
TODAY = date(2025, 6, 30)
ANN, BOB = Principal("ann", Role.VIEWER), Principal("bob", Role.VIEWER)


@pytest.fixture
def shop(ctx: Any, operator: Any, tmp_path: Path) -> Any:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")
    return ctx


def _asset(ctx: Any, name: str) -> AssetDetail:
    return catalog.get_asset(ctx, Principal("t", Role.ADMIN), U + name)


def _stored(ctx: Any) -> dict[tuple[int, str], tuple[int, int]]:
    with ctx.db.read() as conn:
        rows = conn.execute(sa.select(usage_daily)).mappings()
        return {(r["asset_id"], r["kind"]): (r["count"], r["users"]) for r in rows}


def _outbox_ids(ctx: Any) -> list[int]:
    with ctx.db.read() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT asset_id FROM search_outbox")]


# --- the formula ---------------------------------------------------------------------------


def test_popularity_decays_by_half_every_week_and_forgets_after_thirty_days() -> None:
    def score(days_ago: int, kind: UsageKind = UsageKind.VIEW, n: int = 10) -> float:
        return popularity([UsageCount(TODAY - timedelta(days=days_ago), kind, n)], TODAY)

    assert score(0) == 10.0
    assert score(7) == 5.0
    assert score(14) == 2.5
    assert score(29) > 0 and score(30) == 0.0
    assert score(0, UsageKind.QUERY) == 10.0
    assert score(0, UsageKind.SEARCH_HIT) == 2.0  # being listed is worth a fifth of a view


# --- buffered recording --------------------------------------------------------------------


def test_views_are_counted_in_memory_and_written_by_one_flush(shop: Any) -> None:
    orders = _asset(shop, "orders")
    outbox_before = len(_outbox_ids(shop))
    for who in (ANN, ANN, BOB):
        usage.record_view(shop, who, orders.id)
    assert _stored(shop) == {}  # a view is a read: nothing written yet
    assert usage.recorder(shop).pending == 3
    assert usage.flush(shop) == 3
    assert _stored(shop) == {(orders.id, "view"): (3, 2)}  # 3 views by 2 people
    assert usage.popularity_for(shop, [orders.id]) == {orders.id: 3.0}
    # the search index hears that the asset's popularity changed
    assert _outbox_ids(shop)[outbox_before:] == [orders.id]
    usage.record_view(shop, ANN, orders.id)
    usage.flush(shop)
    assert _stored(shop)[(orders.id, "view")] == (4, 2)  # counts add up, users stay distinct
    assert usage.popularity_for(shop, [orders.id])[orders.id] == 4.0


def test_column_usage_counts_for_its_table(shop: Any) -> None:
    orders = _asset(shop, "orders")
    column = orders.columns[0]
    usage.record_view(shop, ANN, column.id)
    usage.record_view(shop, ANN, column.id)
    usage.flush(shop)
    scores = usage.popularity_for(shop, [orders.id, column.id])
    assert scores == {orders.id: 2.0, column.id: 2.0}


def test_searches_log_the_query_and_count_first_page_hits(shop: Any) -> None:
    orders, customers = _asset(shop, "orders"), _asset(shop, "customers")
    page = {
        "items": [
            {"id": orders.id, "type": "table"},
            {"id": customers.id, "type": "table"},
            {"id": "term-1", "type": "glossary_term"},  # not an asset: not counted
        ],
        "total": 7,
    }
    usage.record_search(shop, ANN, " orders ", page, 0, "hybrid")
    usage.record_search(shop, ANN, "orders", page, 20, "hybrid")  # page 2: not counted
    usage.record_search(shop, ANN, "  ", page, 0, "hybrid")  # filters only: not counted
    usage.flush(shop)
    assert _stored(shop) == {
        (orders.id, "search_hit"): (1, 1),
        (customers.id, "search_hit"): (1, 1),
    }
    with shop.db.read() as conn:
        logged = repo.recent_queries(conn, 10)
    assert [(q["query"], q["user_name"], q["result_count"]) for q in logged] == [
        ("orders", "ann", 7)
    ]
    assert usage.popularity_for(shop, [orders.id])[orders.id] == 0.2


def test_recording_from_many_threads_loses_nothing(shop: Any) -> None:
    orders = _asset(shop, "orders")

    def hammer(i: int) -> None:
        who = Principal(f"user{i}", Role.VIEWER)
        for _ in range(500):
            usage.record_view(shop, who, orders.id)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    flusher = threading.Thread(target=lambda: [usage.flush(shop) for _ in range(20)])
    flusher.start()
    for t in (*threads, flusher):
        t.join()
    usage.flush(shop)
    assert _stored(shop)[(orders.id, "view")] == (2000, 4)


def test_pending_usage_is_written_when_the_context_closes(tmp_path: Path) -> None:
    operator = Principal("t", Role.ADMIN)
    first = build_context(make_settings(tmp_path / "home"))
    sources.add(first, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(first, operator, "shop")
    orders = _asset(first, "orders")
    usage.record_view(first, ANN, orders.id)
    first.close()
    second = build_context(make_settings(tmp_path / "home"))
    try:
        assert _stored(second) == {(orders.id, "view"): (1, 1)}
    finally:
        second.close()


def test_usage_of_a_deleted_asset_is_dropped_not_fatal(shop: Any, operator: Any) -> None:
    orders = _asset(shop, "orders")
    usage.record_view(shop, ANN, orders.id)
    usage.record_view(shop, ANN, 999_999)  # hard-deleted meanwhile
    assert usage.flush(shop) == 1
    assert _stored(shop) == {(orders.id, "view"): (1, 1)}


def test_daily_refresh_decays_old_usage(shop: Any) -> None:
    orders = _asset(shop, "orders")
    week_ago = date.today() - timedelta(days=7)
    with shop.db.write() as conn:
        repo.add_counts(conn, {(orders.id, week_ago, "view"): 8})
    usage.flush(shop)  # the first flush of the day recomputes everything with usage
    assert usage.popularity_for(shop, [orders.id])[orders.id] == pytest.approx(4.0, 0.2)


# --- query logs -----------------------------------------------------------------------------


def _pgss(*rows: tuple[str, str, int]) -> list[tuple[str, QueryLogEntry]]:
    return [(f"pgss:{qid}", QueryLogEntry(sql, calls, qid)) for qid, sql, calls in rows]


def test_query_log_calls_become_query_usage_of_the_tables_named(shop: Any, operator: Any) -> None:
    src = get_row(shop, "shop")
    orders, customers, big = (_asset(shop, n) for n in ("orders", "customers", "big_orders"))
    first = usage.apply_query_log(
        shop,
        operator,
        src,
        _pgss(
            ("1", "SELECT * FROM orders WHERE id = $1", 40),
            ("2", "SELECT c.email FROM main.customers c JOIN orders o ON o.customer_id = c.id", 5),
            ("3", "INSERT INTO orders (id, customer_id) VALUES ($1, $2)", 3),
            ("4", "SELECT * FROM big_orders", 2),
            ("5", "SELECT * FROM nowhere", 9),
            ("6", "SELECT 1", 100),
        ),
    )
    assert first == QueryUsageAdded(
        statements=6,
        new_calls=159,
        mapped_statements=4,
        assets=3,
        unparsed=0,
        unresolved=("nowhere",),
    )
    stored = _stored(shop)
    assert stored[(orders.id, "query")] == (48, 0)
    assert stored[(customers.id, "query")] == (5, 0)
    assert stored[(big.id, "query")] == (2, 0)
    # reading the same counters again adds nothing; grown counters add the difference
    again = usage.apply_query_log(
        shop, operator, src, _pgss(("1", "SELECT * FROM orders WHERE id = $1", 40))
    )
    assert again.new_calls == 0 and _stored(shop)[(orders.id, "query")] == (48, 0)
    usage.apply_query_log(
        shop, operator, src, _pgss(("1", "SELECT * FROM orders WHERE id = $1", 50))
    )
    assert _stored(shop)[(orders.id, "query")] == (58, 0)
    # pg_stat_statements_reset(): the counter starts again from 0
    usage.apply_query_log(
        shop, operator, src, _pgss(("1", "SELECT * FROM orders WHERE id = $1", 4))
    )
    assert _stored(shop)[(orders.id, "query")] == (62, 0)
    assert usage.popularity_for(shop, [orders.id])[orders.id] == 62.0


def test_query_usage_from_a_log_file_is_idempotent(
    shop: Any, operator: Any, tmp_path: Path
) -> None:
    log = tmp_path / "queries.sql"
    log.write_text("SELECT * FROM orders;\nSELECT * FROM orders;\nSELECT email FROM customers;\n")
    result = usage.ingest_query_usage(shop, operator, "shop", str(log))
    assert (result.statements, result.new_calls, result.assets) == (2, 3, 2)
    assert usage.ingest_query_usage(shop, operator, "shop", str(log)).new_calls == 0
    assert _stored(shop)[(_asset(shop, "orders").id, "query")] == (2, 0)
    log.write_text(log.read_text() + "SELECT * FROM orders;\n")  # the log grew
    assert usage.ingest_query_usage(shop, operator, "shop", str(log)).new_calls == 1
    rotated = tmp_path / "queries.1.sql"  # the next day's log: every statement is new
    rotated.write_text("SELECT * FROM orders;\nSELECT * FROM orders;\n")
    assert usage.ingest_query_usage(shop, operator, "shop", str(rotated)).new_calls == 2
    assert _stored(shop)[(_asset(shop, "orders").id, "query")] == (5, 0)


def test_query_usage_needs_a_query_log(shop: Any, operator: Any) -> None:
    with pytest.raises(SourceError, match=r"keeps no query log.*--file"):
        usage.ingest_query_usage(shop, operator, "shop")
    with pytest.raises(NotFoundError, match="Source 'nope' not found"):
        usage.ingest_query_usage(shop, operator, "nope")
    with pytest.raises(InvalidInputError, match="Cannot read query log"):
        usage.ingest_query_usage(shop, operator, "shop", "/no/such/file.log")
    with pytest.raises(Exception, match="lacks permission 'scan:run'"):
        usage.ingest_query_usage(shop, ANN, "shop")


# --- the store ------------------------------------------------------------------------------

USAGE_TABLES = {"usage_daily", "usage_users", "search_queries", "asset_popularity"}
USAGE_TABLES |= {"query_usage_state"}


def test_usage_migration_matches_the_declared_tables(any_ctx: Any) -> None:
    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) in USAGE_TABLES

    opts = {"include_object": ours, "compare_type": True}
    with any_ctx.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []


# --- PostgreSQL's pg_stat_statements, for real -------------------------------------------------


@pytest.mark.postgres
def test_pg_stat_statements_read_through_the_connector(
    ctx: Any, operator: Any, postgres_url: str
) -> None:
    """The real reader against the real server. This server does not preload the extension
    (shared_preload_libraries is empty), so its view cannot be queried; the last part stands
    a table with the view's columns in for it, so the connector's own SQL (this database only,
    calls summed per query id) runs unchanged."""
    source_db = sa.create_engine(postgres_url)
    with source_db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id int PRIMARY KEY, amount numeric)")
        conn.exec_driver_sql("CREATE TABLE customers (id int PRIMARY KEY, email text)")
    sources.add(ctx, operator, "pg", postgres_url)
    scans.run_scan(ctx, operator, "pg")
    with pytest.raises(SourceError, match=r"not installed.*CREATE EXTENSION pg_stat_statements"):
        usage.ingest_query_usage(ctx, operator, "pg")
    with source_db.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA stats")
        conn.exec_driver_sql("CREATE EXTENSION pg_stat_statements SCHEMA stats")
        preload = conn.exec_driver_sql("SHOW shared_preload_libraries").scalar_one()
        oid = conn.exec_driver_sql(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).scalar_one()
    if "pg_stat_statements" not in preload:
        with source_db.begin() as conn:
            conn.exec_driver_sql("SET search_path = stats")
            with pytest.raises(sa.exc.DBAPIError, match="shared_preload_libraries"):
                conn.exec_driver_sql("SELECT count(*) FROM pg_stat_statements")
    with source_db.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE public.pg_stat_statements "
            "(userid oid, dbid oid, queryid bigint, query text, calls bigint)"
        )
        conn.exec_driver_sql(
            "INSERT INTO public.pg_stat_statements VALUES "
            f"(10, {oid}, 11, 'SELECT * FROM orders WHERE id = $1', 30), "
            f"(20, {oid}, 11, 'SELECT * FROM orders WHERE id = $1', 12), "
            f"(10, {oid}, 12, 'select o.id from public.orders o join customers c "
            "on c.id = o.id', 5), "
            f"(10, {oid}, 13, 'DELETE FROM orders', 7), "
            "(10, 1, 14, 'SELECT * FROM customers', 1000)"  # another database's statement
        )
    result = usage.ingest_query_usage(ctx, operator, "pg")
    source_db.dispose()
    assert (result.statements, result.new_calls, result.assets) == (2, 47, 2)
    by_name = {
        a.name: a.id
        for a in catalog.list_assets(ctx, operator, limit=100, offset=0, type="table")[0]
    }
    stored = _stored(ctx)
    assert stored[(by_name["orders"], "query")] == (47, 0)
    assert stored[(by_name["customers"], "query")] == (5, 0)
    assert usage.ingest_query_usage(ctx, operator, "pg").new_calls == 0
