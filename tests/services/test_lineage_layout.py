"""A lineage graph from the service, laid out for the web UI (cytoscape elements)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sounding.lineage.layout import LayoutGraph, layout, lineage_elements
from sounding.services import lineage, scans, sources
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def test_the_service_graph_lays_out_at_table_and_column_level(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")  # the big_orders view reads orders and customers

    tables = lineage.lineage_graph(ctx, operator, U + "big_orders", "upstream")
    elements = lineage_elements(tables)
    json.dumps(elements)
    names = {n.id: n.qualified_name for n in tables.nodes}
    placed = {names[int(e["data"]["id"])]: e for e in elements if e["group"] == "nodes"}
    assert placed["main.big_orders"]["position"] == {"x": 0.0, "y": 0.0}  # the root, the focus
    assert placed["main.orders"]["position"]["x"] < 0
    assert placed["main.customers"]["position"]["x"] < 0
    assert all("parent" not in e["data"] for e in placed.values())  # schemas are not drawn

    columns = lineage.lineage_graph(ctx, operator, U + "big_orders", "upstream", level="column")
    graph = LayoutGraph.from_lineage(columns)
    result = layout(graph, focus=columns.root)
    root = result.boxes[columns.root]
    assert (root.x, root.y) == (0.0, 0.0)  # the view's box, added around its columns
    for node in graph.nodes:
        if node.parent is not None:
            parent, child = result.boxes[node.parent], result.boxes[node.id]
            assert parent.top < child.top and child.bottom < parent.bottom
    for e in columns.edges:
        assert result.boxes[e.source].x < result.boxes[e.target].x
