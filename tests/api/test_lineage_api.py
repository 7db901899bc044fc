"""Lineage over HTTP: parse without storing, ingest, graph and impact of scanned views."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_resources import _scan


def test_parse_endpoint_reports_lineage_and_errors_with_positions(api: Api) -> None:
    ok = api.call(
        "POST",
        "/api/v1/lineage/parse",
        role="viewer",
        json={
            "sql": 'INSERT INTO Sales.Daily SELECT d, SUM(x) AS x FROM "Raw".Events GROUP BY d',
            "dialect": "postgres",
        },
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["sources"] == ["raw.events"] and body["targets"] == ["sales.daily"]
    assert {
        "source_table": "raw.events",
        "source_column": "x",
        "target_table": "sales.daily",
        "target_column": "x",
        "kind": "aggregate",
        "confidence": 0.8,
    } in body["column_lineage"]
    staged = api.call(
        "POST",
        "/api/v1/lineage/parse",
        role="viewer",
        json={"sql": "COPY INTO raw.orders FROM @db.s.landing/in/2024/", "dialect": "snowflake"},
    )
    assert staged.status_code == 200, staged.text
    assert staged.json()["sources"] == ["db.s.landing"]
    assert staged.json()["locations"] == {"db.s.landing": ["in/2024/"]}
    bad = api.call(
        "POST",
        "/api/v1/lineage/parse",
        role="viewer",
        json={
            "sql": "SELECT 1;\nSELECT FROM WHERE (;\nINSERT INTO t SELECT a FROM s",
            "dialect": "ansi",
        },
    )
    assert bad.status_code == 200
    errors = bad.json()["errors"]
    assert len(errors) == 1 and errors[0]["line"] == 2 and errors[0]["message"]
    assert bad.json()["targets"] == ["t"]  # the other statements still count
    unknown = api.call(
        "POST",
        "/api/v1/lineage/parse",
        role="viewer",
        json={"sql": "select 1", "dialect": "klingon"},
    )
    assert unknown.status_code == 422 and "klingon" in unknown.json()["error"]["message"]


def test_graph_and_impact_of_a_scanned_view(api: Api) -> None:
    _scan(api)
    up = api.call(
        "GET",
        "/api/v1/assets/urn:sounding:shop:main.big_orders/lineage?direction=upstream&depth=2",
        role="viewer",
    )
    assert up.status_code == 200, up.text
    graph = up.json()
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert {(names[e["source"]], names[e["target"]]) for e in graph["edges"]} == {
        ("orders", "big_orders"),
        ("customers", "big_orders"),
    }
    for node in graph["nodes"]:
        assert {"id", "urn", "name", "qualified_name", "type"} <= set(node)
    impact = api.call(
        "GET", "/api/v1/assets/urn:sounding:shop:main.orders/impact", role="viewer"
    ).json()
    assert [n["name"] for n in impact["items"]] == ["big_orders"]
    bad = api.call("GET", "/api/v1/assets/1/lineage?direction=sideways", role="viewer")
    assert bad.status_code == 422


def test_ingest_and_manual_edges(api: Api) -> None:
    _scan(api)
    out = api.call(
        "POST",
        "/api/v1/lineage/sql",
        role="steward",
        json={
            "source": "shop",
            "sql": "INSERT INTO customers (id, email) SELECT id, 'x' FROM orders",
        },
    )
    assert out.status_code == 200, out.text
    assert out.json()["edges_added"] >= 1
    edge = api.call(
        "POST",
        "/api/v1/lineage/edges",
        role="steward",
        json={
            "source": "urn:sounding:shop:main.customers",
            "target": "urn:sounding:shop:main.orders",
        },
    )
    assert edge.status_code == 201
    graph = api.call(
        "GET",
        "/api/v1/assets/urn:sounding:shop:main.orders/lineage?direction=upstream",
        role="viewer",
    ).json()
    manual = [e for e in graph["edges"] if e["origin"] == "manual"]
    assert len(manual) == 1
    gone = api.call("DELETE", f"/api/v1/lineage/edges/{manual[0]['id']}", role="steward")
    assert gone.status_code == 204
