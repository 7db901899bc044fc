"""The lineage explorer's graph: capped steps, expansions, column level, the whole graph,
impact with owners, and the picker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import lineage, lineage_explorer, scans, sources
from sounding.testing.lineage_graph import populate
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def _names(graph: lineage_explorer.ExplorerGraph) -> dict[str, int | None]:
    return {n.qualified_name: n.distance for n in graph.nodes}


def _hub(ctx: Any, who: Any, fanout: int) -> None:
    """``hub`` feeds ``fanout`` tables t000..; t000 feeds ``leaf``; ``up`` feeds ``hub``."""
    populate(ctx, who, nodes=20, edges=19, layers=2, source="pad")  # ids are not 1, 2, 3...
    db = ctx.settings.home / "hub.db"
    names = ["up", "hub", "leaf", *(f"t{i:03}" for i in range(fanout))]
    import sqlite3

    with sqlite3.connect(db) as conn:
        for name in names:
            conn.execute(f"CREATE TABLE {name} (id INTEGER)")
    sources.add(ctx, who, "hub", sqlite_source(db))
    scans.run_scan(ctx, who, "hub")
    lineage.add_manual_edge(ctx, who, "urn:sounding:hub:main.up", "urn:sounding:hub:main.hub", None)
    for i in range(fanout):
        lineage.add_manual_edge(
            ctx, who, "urn:sounding:hub:main.hub", f"urn:sounding:hub:main.t{i:03}", None
        )
    lineage.add_manual_edge(
        ctx, who, "urn:sounding:hub:main.t000", "urn:sounding:hub:main.leaf", None
    )


def test_a_step_adds_at_most_the_limit_and_lists_the_rest(ctx: Any, operator: Any) -> None:
    _hub(ctx, operator, fanout=12)
    graph = lineage_explorer.explore(ctx, operator, "urn:sounding:hub:main.hub", limit=5)
    names = _names(graph)
    assert names["main.hub"] == 0 and names["main.up"] == -1
    drawn = sorted(n for n, d in names.items() if d == 1)
    assert drawn == [f"main.t{i:03}" for i in range(5)]  # by name, the first five
    assert graph.overflow_total == 7
    assert [r.node.qualified_name for r in graph.overflow] == [
        f"main.t{i:03}" for i in range(5, 12)
    ]
    assert all(
        r.via.qualified_name == "main.hub" and r.direction == "downstream" for r in graph.overflow
    )
    assert {(e.source, e.target) for e in graph.edges} <= {
        (a.id, b.id) for a in graph.nodes for b in graph.nodes
    }
    assert len(graph.edges) == 6
    # positions for every drawn node; the focus in the middle
    placed = {e["data"]["id"]: e for e in graph.elements if e["group"] == "nodes"}
    assert set(placed) == {str(n.id) for n in graph.nodes}
    assert placed[str(graph.focus.id)]["position"] == {"x": 0.0, "y": 0.0}

    # expanding t000 adds its downstream leaf, and says so
    t000 = next(n.id for n in graph.nodes if n.qualified_name == "main.t000")
    more = lineage_explorer.explore(
        ctx, operator, "urn:sounding:hub:main.hub", limit=5, expand=[t000]
    )
    assert _names(more)["main.leaf"] == 2
    assert more.expanded == [t000]
    leaf = next(n.id for n in more.nodes if n.qualified_name == "main.leaf")
    assert more.added == [leaf]
    assert more.overflow_total == 7  # what is left out stays listed

    # expanding the hub (again) adds the next five of its neighbours, then the last two
    hub = graph.focus.id
    again = lineage_explorer.explore(
        ctx, operator, "urn:sounding:hub:main.hub", limit=5, expand=[hub]
    )
    assert [_names(again)[f"main.t{i:03}"] for i in range(10)] == [1] * 10
    assert again.overflow_total == 2 and again.more == [hub]
    last = lineage_explorer.explore(
        ctx, operator, "urn:sounding:hub:main.hub", limit=5, expand=[hub, hub]
    )
    assert last.overflow_total == 0 and last.more == [] and len(last.added) == 2

    # an expanded node that is not drawn is ignored (the focus changed under it)
    other = lineage_explorer.explore(ctx, operator, "urn:sounding:hub:main.up", expand=[leaf])
    assert other.expanded == [] and "main.leaf" not in _names(other)


def test_depth_and_the_whole_graph(ctx: Any, operator: Any) -> None:
    layers = populate(ctx, operator, nodes=300, edges=360, layers=6)
    focus = str(layers[3][0])
    one = lineage_explorer.explore(ctx, operator, focus)
    assert {n.distance for n in one.nodes} <= {-1, 0, 1}
    two = lineage_explorer.explore(ctx, operator, focus, depth=2)
    assert {n.distance for n in two.nodes} >= {-2, 2}
    assert len(two.nodes) > len(one.nodes)
    whole = lineage_explorer.explore(ctx, operator, focus, depth=None)
    assert len(whole.nodes) == 300 and len(whole.edges) == 360 and not whole.truncated
    kinds = {n.direction for n in whole.nodes}
    assert kinds == {"focus", "upstream", "downstream", "related"}
    assert len([e for e in whole.elements if e["group"] == "edges"]) == 360
    capped = lineage_explorer.explore(ctx, operator, focus, depth=None, whole_limit=100)
    assert capped.truncated and len(capped.nodes) == 100


def test_column_level_draws_columns_inside_their_tables(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")  # the big_orders view reads orders and customers
    graph = lineage_explorer.explore(ctx, operator, U + "big_orders", level="column")
    assert graph.focus.qualified_name == "main.big_orders"
    tables = {t.qualified_name for t in graph.tables}
    assert {"main.big_orders", "main.orders", "main.customers"} <= tables
    assert all(n.type == "column" for n in graph.nodes)
    table_ids = {str(t.id) for t in graph.tables}
    nodes = [e for e in graph.elements if e["group"] == "nodes"]
    children = [e for e in nodes if e["data"].get("parent")]
    assert len(children) == len(graph.nodes)
    assert {e["data"]["parent"] for e in children} <= table_ids
    assert (
        next(e for e in nodes if e["data"]["id"] == str(graph.focus.id))["data"]["kind"] == "focus"
    )
    # a column as the focus: the walk starts from it alone
    column = next(n for n in graph.nodes if n.qualified_name.startswith("main.big_orders."))
    alone = lineage_explorer.explore(ctx, operator, column.urn, level="column")
    assert alone.focus.id == column.id
    assert [n.id for n in alone.nodes if n.distance == 0] == [column.id]
    # a column at table level is its table
    assert lineage_explorer.explore(ctx, operator, column.urn).focus.qualified_name == (
        "main.big_orders"
    )
    # expanding a table drawn around columns expands its columns
    orders = next(t.id for t in graph.tables if t.qualified_name == "main.orders")
    expanded = lineage_explorer.explore(
        ctx, operator, U + "big_orders", level="column", expand=[orders]
    )
    assert expanded.expanded == [orders]


def test_impact_lists_everything_downstream_with_owners(ctx: Any, operator: Any) -> None:
    layers = populate(ctx, operator, nodes=200, edges=240, layers=4)
    focus = layers[0][0]
    result = lineage_explorer.impact(ctx, operator, str(focus))
    api = lineage.impact(ctx, operator, str(focus), depth=20)
    assert [r.node.id for r in result.rows] == [n.id for n in api.items]
    assert [r.distance for r in result.rows] == sorted(r.distance for r in result.rows)
    by_id = {n.id: n for n in api.items}
    for row in result.rows:
        assert row.owner == by_id[row.node.id].owner
        assert row.path[0] == focus and row.path[-1] == row.node.id
        assert len(row.path) == row.distance + 1
    assert sum(c for _, c in result.owners()) == result.total


def test_impact_of_columns_names_their_table_and_its_owner(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    from sounding.services import catalog

    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")
    catalog.update_asset(ctx, operator, U + "big_orders", {"owner": "=cmd|x"})
    result = lineage_explorer.impact(ctx, operator, U + "orders", level="column")
    assert result.rows and all(r.node.type == "column" for r in result.rows)
    assert {r.table for r in result.rows} == {"main.big_orders"}
    assert {r.owner for r in result.rows} == {"=cmd|x"}


def test_bad_input_and_unknown_assets(ctx: Any, operator: Any) -> None:
    populate(ctx, operator, nodes=20, edges=19, layers=2)
    with pytest.raises(InvalidInputError):
        lineage_explorer.explore(ctx, operator, "1", depth=0)
    with pytest.raises(InvalidInputError):
        lineage_explorer.explore(ctx, operator, "1", level="row")
    with pytest.raises(InvalidInputError):
        lineage_explorer.explore(ctx, operator, "1", expand=list(range(1000)))
    with pytest.raises(NotFoundError):
        lineage_explorer.explore(ctx, operator, "urn:sounding:nope:x")


def test_picker_finds_by_name_and_ranks_by_lineage(ctx: Any, operator: Any) -> None:
    layers = populate(ctx, operator, nodes=40, edges=60, layers=4)
    found = lineage_explorer.find_assets(ctx, operator, "l1.t1")
    assert found[0].qualified_name == "l1.t1" or all("l1.t1" in f.qualified_name for f in found)
    assert all("l1.t1" in f.qualified_name for f in found)
    top = lineage_explorer.find_assets(ctx, operator, "", limit=5)
    assert len(top) == 5
    assert [t.edges for t in top] == sorted((t.edges for t in top), reverse=True)
    assert top[0].id in {n for layer in layers for n in layer}
    assert lineage_explorer.find_assets(ctx, operator, "100%_sure") == []


@pytest.mark.slow
def test_the_whole_graph_of_5000_nodes_comes_back_whole(ctx: Any, operator: Any) -> None:
    """Not a timing test (bench/ui_lineage.py measures): the whole 5,000-node graph comes back
    whole, laid out, with every node placed once."""
    layers = populate(ctx, operator, nodes=5000, edges=6000)
    graph = lineage_explorer.explore(ctx, operator, str(layers[5][0]), depth=None)
    assert len(graph.nodes) == 5000 and len(graph.edges) == 6000
    ids = [e["data"]["id"] for e in graph.elements if e["group"] == "nodes"]
    assert len(ids) == len(set(ids)) == 5000
