"""dbt manifest lineage: model dependencies and column edges from compiled SQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.errors import InvalidInputError, ParseError
from sounding.services import lineage, scans, sources
from tests.factories import sqlite_source

DDL = """
CREATE TABLE raw_orders (id INTEGER, customer_id INTEGER, amount NUMERIC, status TEXT);
CREATE TABLE stg_orders (order_id INTEGER, customer_id INTEGER, amount NUMERIC);
CREATE TABLE customer_revenue (customer_id INTEGER, revenue NUMERIC);
"""


def _manifest(path: Path) -> Path:
    manifest = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "adapter_type": "sqlite",
        },
        "sources": {
            "source.shop.raw.raw_orders": {
                "database": "main",
                "schema": "main",
                "identifier": "raw_orders",
                "name": "orders",
                "resource_type": "source",
            }
        },
        "nodes": {
            "model.shop.stg_orders": {
                "resource_type": "model",
                "database": "main",
                "schema": "main",
                "name": "stg_orders",
                "alias": "stg_orders",
                "depends_on": {"nodes": ["source.shop.raw.raw_orders"]},
                "compiled_code": "select id as order_id, customer_id, amount from "
                "main.raw_orders where status != 'cancelled'",
            },
            "model.shop.customer_revenue": {
                "resource_type": "model",
                "database": "main",
                "schema": "main",
                "name": "customer_revenue",
                "depends_on": {"nodes": ["model.shop.stg_orders"]},
                "compiled_code": "select customer_id, sum(amount) as revenue "
                "from main.stg_orders group by customer_id",
            },
            "test.shop.not_null": {"resource_type": "test", "depends_on": {"nodes": []}},
        },
    }
    out = path / "manifest.json"
    out.write_text(json.dumps(manifest))
    return out


def test_dbt_models_become_lineage(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db", DDL))
    scans.run_scan(ctx, operator, "shop")
    out = lineage.ingest_dbt(ctx, operator, str(_manifest(tmp_path)), "shop")
    assert out["models"] == 2 and out["unresolved"] == [] and out["problems"] == []
    graph = lineage.lineage_graph(
        ctx, operator, "urn:sounding:shop:main.customer_revenue", "upstream", depth=5
    )
    by_id = {n.id: n.name for n in graph.nodes}
    assert {(by_id[e.source], by_id[e.target]) for e in graph.edges if e.origin == "dbt"} == {
        ("raw_orders", "stg_orders"),
        ("stg_orders", "customer_revenue"),
    }
    # each model is also a pipeline asset between what it reads and what it builds
    assert {(by_id[e.source], by_id[e.target]) for e in graph.edges if e.origin == "job"} == {
        ("raw_orders", "model.shop.stg_orders"),
        ("model.shop.stg_orders", "stg_orders"),
        ("stg_orders", "model.shop.customer_revenue"),
        ("model.shop.customer_revenue", "customer_revenue"),
    }
    job = {n.type for n in graph.nodes if n.name == "model.shop.stg_orders"}
    assert job == {"pipeline"}
    cols = lineage.lineage_graph(
        ctx,
        operator,
        "urn:sounding:shop:main.customer_revenue",
        "upstream",
        depth=5,
        level="column",
    )
    names = {n.id: n.qualified_name for n in cols.nodes}
    kinds = {(names[e.source], names[e.target]): e.kind for e in cols.edges}
    assert kinds[("main.stg_orders.amount", "main.customer_revenue.revenue")] == "aggregate"
    assert kinds[("main.raw_orders.amount", "main.stg_orders.amount")] == "copy"
    assert kinds[("main.raw_orders.status", "main.stg_orders.amount")] == "filter"
    stg = lineage.lineage_graph(
        ctx, operator, "urn:sounding:shop:main.stg_orders", "upstream", level="column"
    )
    names = {n.id: n.qualified_name for n in stg.nodes}
    renamed = {(names[e.source], names[e.target]): e.kind for e in stg.edges}
    assert renamed[("main.raw_orders.id", "main.stg_orders.order_id")] == "copy"
    again = lineage.ingest_dbt(ctx, operator, str(_manifest(tmp_path)), "shop")
    assert again["edges"] == out["edges"]


def test_bad_manifests_are_clear_errors(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db", DDL))
    with pytest.raises(InvalidInputError, match="Cannot read"):
        lineage.ingest_dbt(ctx, operator, str(tmp_path / "missing.json"), "shop")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ParseError, match="not JSON"):
        lineage.ingest_dbt(ctx, operator, str(tmp_path / "bad.json"), "shop")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(InvalidInputError, match="not a dbt manifest"):
        lineage.ingest_dbt(ctx, operator, str(tmp_path / "other.json"), "shop")
