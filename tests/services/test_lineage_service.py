"""Lineage in the catalog: views after scans, ingested SQL, manual edges, graph, impact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.domain.lineage import LineageGraph
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import catalog, lineage, scans, sources
from tests.factories import execute, sqlite_source

U = "urn:sounding:shop:main."


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db))
    scans.run_scan(any_ctx, operator, "shop")
    return db


def _names(graph: LineageGraph) -> dict[str, int]:
    return {n.qualified_name: n.distance for n in graph.nodes}


def _pairs(graph: LineageGraph) -> set[tuple[str, str]]:
    by_id = {n.id: n.qualified_name for n in graph.nodes}
    return {(by_id[e.source], by_id[e.target]) for e in graph.edges}


def test_scans_derive_view_lineage(any_ctx: Any, operator: Any, shop: Path) -> None:
    graph = lineage.lineage_graph(any_ctx, operator, U + "big_orders", "upstream")
    assert _pairs(graph) == {
        ("main.orders", "main.big_orders"),
        ("main.customers", "main.big_orders"),
    }
    assert _names(graph) == {"main.big_orders": 0, "main.orders": -1, "main.customers": -1}
    cols = lineage.lineage_graph(any_ctx, operator, U + "big_orders", "upstream", level="column")
    by_id = {n.id: n.qualified_name for n in cols.nodes}
    kinds = {(by_id[e.source], by_id[e.target]): e.kind for e in cols.edges}
    assert kinds[("main.orders.id", "main.big_orders.id")] == "copy"
    assert kinds[("main.customers.email", "main.big_orders.email")] == "copy"
    assert kinds[("main.orders.amount", "main.big_orders.id")] == "filter"


def test_redefined_and_dropped_views_update_their_edges(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    execute(
        shop,
        "DROP VIEW big_orders; CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100;",
    )
    scans.run_scan(any_ctx, operator, "shop")
    graph = lineage.lineage_graph(any_ctx, operator, U + "big_orders", "upstream")
    assert _pairs(graph) == {("main.orders", "main.big_orders")}
    execute(shop, "DROP VIEW big_orders;")
    scans.run_scan(any_ctx, operator, "shop")
    down = lineage.lineage_graph(any_ctx, operator, U + "orders", "downstream")
    assert down.edges == ()


def test_ingested_sql_links_tables_and_reports_unknown_names(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    execute(shop, "CREATE TABLE order_facts (id INTEGER, email TEXT, total NUMERIC);")
    scans.run_scan(any_ctx, operator, "shop")
    sql = """
        CREATE TEMP TABLE tmp AS SELECT o.id, c.email, o.amount FROM orders o
            JOIN customers c ON c.id = o.customer_id;
        INSERT INTO order_facts (id, email, total) SELECT id, email, sum(amount) FROM tmp
            GROUP BY id, email;
        INSERT INTO nowhere SELECT * FROM ghosts;
    """
    out = lineage.ingest_sql(any_ctx, operator, "shop", sql)
    assert set(out["unresolved"]) == {"nowhere", "ghosts"}
    graph = lineage.lineage_graph(any_ctx, operator, U + "order_facts", "upstream")
    assert _pairs(graph) == {
        ("main.orders", "main.order_facts"),
        ("main.customers", "main.order_facts"),
    }
    cols = lineage.lineage_graph(any_ctx, operator, U + "order_facts", "upstream", level="column")
    by_id = {n.id: n.qualified_name for n in cols.nodes}
    kinds = {(by_id[e.source], by_id[e.target]): e.kind for e in cols.edges}
    assert kinds[("main.orders.amount", "main.order_facts.total")] == "aggregate"
    again = lineage.ingest_sql(any_ctx, operator, "shop", sql)
    assert again["edges_added"] == 0
    assert again["edges_kept"] == len(cols.edges) + 2  # column edges + two table edges


def test_graph_is_cycle_safe_depth_limited_and_capped(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    lineage.add_manual_edge(any_ctx, operator, U + "big_orders", U + "customers", "feedback")
    both = lineage.lineage_graph(any_ctx, operator, U + "orders", "downstream", depth=10)
    assert _names(both) == {"main.orders": 0, "main.big_orders": 1, "main.customers": 2}
    one = lineage.lineage_graph(any_ctx, operator, U + "orders", "downstream", depth=1)
    assert set(_names(one)) == {"main.orders", "main.big_orders"}
    capped = lineage.lineage_graph(
        any_ctx, operator, U + "orders", "downstream", depth=10, max_nodes=2
    )
    assert capped.truncated and len(capped.nodes) == 2
    with pytest.raises(InvalidInputError):
        lineage.lineage_graph(any_ctx, operator, U + "orders", "sideways")


def test_impact_lists_downstream_with_criticality_paths(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    execute(shop, "CREATE VIEW vip AS SELECT email FROM big_orders;")
    scans.run_scan(any_ctx, operator, "shop")
    catalog.update_asset(
        any_ctx, operator, U + "vip", {"criticality": "critical", "owner": "sales"}
    )
    out = lineage.impact(any_ctx, operator, U + "customers")
    assert [(n.qualified_name, n.distance) for n in out.items] == [
        ("main.big_orders", 1),
        ("main.vip", 2),
    ]
    assert out.counts_by_distance == {1: 1, 2: 1}
    assert out.items[1].owner == "sales"
    assert out.critical_paths[0].path == (U + "customers", U + "big_orders", U + "vip")


def test_manual_edges_and_bad_input(any_ctx: Any, operator: Any, shop: Path) -> None:
    with pytest.raises(InvalidInputError, match="two columns"):
        lineage.add_manual_edge(any_ctx, operator, U + "orders", U + "orders#id", None)
    with pytest.raises(NotFoundError):
        lineage.delete_edge(any_ctx, operator, 99999)
    with pytest.raises(InvalidInputError, match="Unknown SQL dialect"):
        lineage.parse_sql("select 1", "klingon")
    with pytest.raises(InvalidInputError, match="No SQL"):
        lineage.parse_sql("  ")


def test_query_log_files_and_pg_stat_statements(
    any_ctx: Any, operator: Any, shop: Path, tmp_path: Path
) -> None:
    from sounding.errors import SourceError
    from sounding.services import querylog

    execute(shop, "CREATE TABLE order_facts (id INTEGER, email TEXT);")
    scans.run_scan(any_ctx, operator, "shop")
    log = tmp_path / "postgres.log"
    log.write_text(
        "2026-11-22 10:00:01 UTC [1] LOG:  statement: INSERT INTO order_facts\n"
        "\tSELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id\n"
        "2026-11-22 10:00:02 UTC [1] LOG:  statement: SELECT count(*) FROM orders\n"
    )
    out = querylog.ingest_query_log(any_ctx, operator, "shop", str(log))
    assert (out["statements"], out["writing_statements"]) == (2, 1)
    graph = lineage.lineage_graph(any_ctx, operator, U + "order_facts", "upstream")
    assert _pairs(graph) == {
        ("main.orders", "main.order_facts"),
        ("main.customers", "main.order_facts"),
    }
    again = querylog.ingest_query_log(any_ctx, operator, "shop", str(log))
    assert again["edges"] == out["edges"]
    with pytest.raises(SourceError, match="keeps no query log"):
        querylog.ingest_query_log(any_ctx, operator, "shop")
    with pytest.raises(InvalidInputError, match="Cannot read"):
        querylog.ingest_query_log(any_ctx, operator, "shop", str(tmp_path / "none.log"))


@pytest.mark.postgres
def test_pg_stat_statements_missing_is_a_clear_error(
    any_ctx: Any, operator: Any, postgres_url: str
) -> None:
    from sounding.errors import SourceError
    from sounding.services import querylog

    sources.add(any_ctx, operator, "pg", postgres_url)
    with pytest.raises(SourceError, match="pg_stat_statements is not installed"):
        querylog.ingest_query_log(any_ctx, operator, "pg")


def test_unchanged_views_are_not_parsed_again(
    any_ctx: Any, operator: Any, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = lineage.parse_lineage

    def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(sql)
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(lineage, "parse_lineage", counting)

    def rescan() -> int:
        parsed.clear()
        scans.run_scan(any_ctx, operator, "shop")
        lineage.refresh_view_lineage(any_ctx, "shop")  # what the workflow's lineage step does
        return len(parsed)

    execute(shop, "CREATE VIEW small_orders AS SELECT id FROM orders WHERE amount < 100;")
    assert rescan() == 2  # the catalog changed: both views
    assert rescan() == 0  # nothing changed: nothing parsed
    graph = lineage.lineage_graph(any_ctx, operator, U + "small_orders", "upstream")
    assert _pairs(graph) == {("main.orders", "main.small_orders")}
    edges = lineage.lineage_graph(any_ctx, operator, U + "big_orders", "upstream").edges
    assert len(edges) == 2  # the skipped view kept its edges
    # a changed definition (same columns) is parsed again, and only it
    execute(
        shop,
        "DROP VIEW small_orders; CREATE VIEW small_orders AS SELECT id FROM customers;",
    )
    assert rescan() == 1
    graph = lineage.lineage_graph(any_ctx, operator, U + "small_orders", "upstream")
    assert _pairs(graph) == {("main.customers", "main.small_orders")}
    # a changed table can change what every view reads: all are parsed again
    execute(shop, "ALTER TABLE customers ADD COLUMN phone TEXT;")
    assert rescan() == 2
    assert rescan() == 0
    # an edge of a view deleted by hand comes back with the next scan, as before
    (edge,) = lineage.lineage_graph(any_ctx, operator, U + "small_orders", "upstream").edges
    lineage.delete_edge(any_ctx, operator, edge.id)
    assert rescan() == 1
    assert lineage.lineage_graph(any_ctx, operator, U + "small_orders", "upstream").edges
    execute(shop, "DROP VIEW small_orders;")
    assert rescan() == 1
    assert lineage.refresh_view_lineage(any_ctx, "shop")["views"] == 1
