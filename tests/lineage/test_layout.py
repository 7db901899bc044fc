"""The lineage layout engine: positions for cytoscape's preset layout."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from sounding.lineage import layout as lay
from sounding.lineage.layout import (
    Layout,
    LayoutEdge,
    LayoutGraph,
    LayoutNode,
    LayoutOptions,
    layout,
    layout_cached,
    lineage_elements,
    to_cytoscape,
)


def graph(edges: list[tuple[str, str]], extra: tuple[str, ...] = ()) -> LayoutGraph:
    names = sorted({n for e in edges for n in e} | set(extra))
    return LayoutGraph.build(
        [LayoutNode(n, n.upper()) for n in names], [LayoutEdge(a, b) for a, b in edges]
    )


def random_graph(
    seed: int, nodes: int = 120, edges: int = 180, columns: bool = False
) -> LayoutGraph:
    """Random layered DAG (plus lone nodes and a second component); with ``columns``, every
    fourth node is a table holding the next three as columns, edges going between columns."""
    rng = random.Random(seed)
    out: list[LayoutNode] = []
    for i in range(nodes):
        parent = f"n{i - i % 4}" if columns and i % 4 else None
        out.append(LayoutNode(f"n{i}", f"node {i}", parent))
    leaves = [n.id for n in out if not columns or n.parent is not None]
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < edges:
        a, b = sorted(rng.sample(range(len(leaves)), 2))
        if leaves[b].startswith("n") and (b - a) < len(leaves) // 3:
            pairs.add((str(leaves[a]), str(leaves[b])))
    out += [LayoutNode(f"lone{i}") for i in range(5)]
    out += [LayoutNode("x1"), LayoutNode("x2"), LayoutNode("x3")]
    e = [LayoutEdge(a, b) for a, b in sorted(pairs)] + [
        LayoutEdge("x1", "x2"),
        LayoutEdge("x2", "x3"),
    ]
    return LayoutGraph.build(out, e)


def overlaps(a: lay.Box, b: lay.Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


def crossings_from_positions(result: Layout, g: LayoutGraph) -> int:
    """Crossings between edges joining adjacent layers, read from the drawn positions."""
    seg = [
        (result.boxes[e.source].y, result.boxes[e.target].y, result.layers[e.source])
        for e in g.edges
        if result.layers[e.target] == result.layers[e.source] + 1
    ]
    return sum(
        1
        for (a1, b1, l1), (a2, b2, l2) in itertools.combinations(seg, 2)
        if l1 == l2 and (a1 - a2) * (b1 - b2) < 0
    )


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_no_two_nodes_overlap(seed: int, columns: bool) -> None:
    g = random_graph(seed, columns=columns)
    result = layout(g)
    parents = {n.id: n.parent for n in g.nodes}
    for a, b in itertools.combinations(g.nodes, 2):
        if a.id == b.parent or b.id == a.parent:
            continue  # a child sits inside its parent
        if parents[a.id] != parents[b.id]:
            continue  # nodes in different parents: their parents do not overlap (checked)
        assert not overlaps(result.boxes[a.id], result.boxes[b.id]), (a.id, b.id)


@pytest.mark.parametrize("seed", range(4))
def test_edges_point_left_to_right_in_a_dag(seed: int) -> None:
    g = random_graph(seed)
    result = layout(g)
    assert result.reversed_edges == frozenset()
    for e in g.edges:
        assert result.boxes[e.source].x < result.boxes[e.target].x
        assert result.layers[e.source] < result.layers[e.target]
    xs = sorted({round(b.x, 6) for b in result.boxes.values()})
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(xs)}
    assert gaps == {LayoutOptions().node_width + LayoutOptions().layer_gap}  # even columns


def test_layers_are_longest_paths_and_sources_wait_next_to_what_they_feed() -> None:
    result = layout(graph([("a", "b"), ("b", "c"), ("a", "c"), ("s", "c")]))
    assert dict(result.layers) == {"a": 0, "b": 1, "c": 2, "s": 1}


def test_focus_sits_in_the_middle_upstream_left_downstream_right() -> None:
    g = graph(
        [
            ("a", "b"), ("b", "f"), ("e", "f"), ("f", "c"), ("c", "d"),
            ("x", "c"),  # another input of a downstream node: neither up nor downstream
            ("a", "f"),  # a shortcut: a stays two columns left (every edge points right)
        ],
        extra=("lone",),
    )  # fmt: skip
    result = layout(g, focus="f")
    assert result.position("f") == (0.0, 0.0)
    assert {n: result.layers[n] for n in "abefcdx"} == {
        "a": -2, "b": -1, "e": -1, "f": 0, "c": 1, "d": 2, "x": 0,
    }  # fmt: skip
    for n in "abe":
        assert result.boxes[n].x < 0
    for n in "cd":
        assert result.boxes[n].x > 0
    for e in g.edges:
        assert result.boxes[e.source].x < result.boxes[e.target].x
    xs = [b.x for b in result.boxes.values()]
    assert min(xs) < 0 < max(xs)


def test_focus_on_a_column_centres_its_table() -> None:
    nodes = [
        LayoutNode("t1"), LayoutNode("t1.a", "a", "t1"),
        LayoutNode("t2"), LayoutNode("t2.a", "a", "t2"), LayoutNode("t2.b", "b", "t2"),
        LayoutNode("t3"), LayoutNode("t3.a", "a", "t3"),
    ]  # fmt: skip
    edges = [LayoutEdge("t1.a", "t2.b"), LayoutEdge("t2.a", "t3.a"), LayoutEdge("t2.b", "t3.a")]
    result = layout(LayoutGraph.build(nodes, edges), focus="t2.b")
    assert result.position("t2") == (0.0, 0.0)
    assert result.layers["t2.b"] == 0
    assert result.layers["t1"] == -1 and result.layers["t3"] == 1


def test_cycles_are_broken_deterministically() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "d"), ("e", "e")]
    g = graph(edges)
    result = layout(g)
    assert len(result.reversed_edges) == 2  # one edge per cycle; the self-loop is left out
    again = layout(graph(list(reversed(edges))))
    assert again.reversed_edges == result.reversed_edges
    assert dict(again.boxes) == dict(result.boxes)
    for a, b in edges:
        if a != b and (a, b) not in result.reversed_edges:
            assert result.layers[a] < result.layers[b]
    for a, b in result.reversed_edges:
        assert result.layers[b] < result.layers[a]


def test_a_cycle_through_the_focus_keeps_the_focus_in_the_middle() -> None:
    result = layout(graph([("u", "f"), ("f", "d"), ("d", "f")]), focus="f")
    assert result.layers["f"] == 0 and result.layers["u"] == -1 and result.layers["d"] == 1
    assert result.reversed_edges == frozenset({("d", "f")})


def test_children_are_stacked_inside_their_parents() -> None:
    g = random_graph(7, nodes=80, edges=90, columns=True)
    result = layout(g)
    by_parent: dict[str, list[lay.Box]] = {}
    for n in g.nodes:
        if n.parent is None:
            continue
        parent, child = result.boxes[n.parent], result.boxes[n.id]
        assert parent.left <= child.left and child.right <= parent.right
        assert parent.top <= child.top and child.bottom <= parent.bottom
        assert child.x == parent.x
        assert result.layers[n.id] == result.layers[str(n.parent)]
        by_parent.setdefault(str(n.parent), []).append(child)
    for kids in by_parent.values():
        kids.sort(key=lambda b: b.y)
        for upper, lower in itertools.pairwise(kids):
            assert upper.bottom < lower.top  # stacked, with a gap
    # a parent's box grows with its children
    assert result.boxes["n0"].height > LayoutOptions().node_height


def test_nested_children_fit_in_their_parents() -> None:
    nodes = [
        LayoutNode("db"), LayoutNode("t", parent="db"), LayoutNode("t.a", parent="t"),
        LayoutNode("t.b", parent="t"), LayoutNode("u", parent="db"), LayoutNode("other"),
    ]  # fmt: skip
    result = layout(LayoutGraph.build(nodes, [LayoutEdge("t.a", "other")]))
    for child, parent in (("t", "db"), ("u", "db"), ("t.a", "t"), ("t.b", "t")):
        c, p = result.boxes[child], result.boxes[parent]
        assert p.left <= c.left and c.right <= p.right and p.top <= c.top and c.bottom <= p.bottom
    assert not overlaps(result.boxes["t"], result.boxes["u"])
    assert result.boxes["db"].x < result.boxes["other"].x


def test_columns_follow_their_neighbours() -> None:
    # t2's columns are read by t1's in reverse order: reordering them removes every crossing
    nodes = [LayoutNode("t1"), LayoutNode("t2")]
    nodes += [LayoutNode(f"t1.{c}", c, "t1") for c in "abc"]
    nodes += [LayoutNode(f"t2.{c}", c, "t2") for c in "abc"]
    edges = [LayoutEdge("t1.a", "t2.c"), LayoutEdge("t1.b", "t2.b"), LayoutEdge("t1.c", "t2.a")]
    result = layout(LayoutGraph.build(nodes, edges))
    ys = {n: result.boxes[n].y for n in ("t1.a", "t1.b", "t1.c", "t2.a", "t2.b", "t2.c")}
    assert ys["t1.a"] < ys["t1.b"] < ys["t1.c"]
    assert ys["t2.c"] < ys["t2.b"] < ys["t2.a"]
    fixed = layout(LayoutGraph.build(nodes, edges), options=LayoutOptions(reorder_children=False))
    assert fixed.boxes["t2.a"].y < fixed.boxes["t2.c"].y  # in id order when asked


def test_same_input_same_positions_whatever_the_order() -> None:
    g = random_graph(3, columns=True)
    first = layout(g)
    assert dict(layout(g).boxes) == dict(first.boxes)
    rng = random.Random(1)
    nodes, edges = list(g.nodes), list(g.edges)
    rng.shuffle(nodes)
    rng.shuffle(edges)
    shuffled = layout(LayoutGraph.build(nodes, edges))
    assert dict(shuffled.boxes) == dict(first.boxes)
    assert shuffled.fingerprint == first.fingerprint
    assert layout(g, focus="n8").fingerprint != first.fingerprint


def test_crossings_on_a_small_graph_are_minimal() -> None:
    # in id order the drawing has crossings; the least any order of the layers can do is 1
    edges = [
        ("a", "f"), ("b", "d"), ("c", "e"), ("a", "d"), ("b", "f"),
        ("d", "h"), ("e", "g"), ("f", "g"), ("f", "h"),
    ]  # fmt: skip
    g = graph(edges)
    result = layout(g)
    layers: dict[int, list[str]] = {}
    for n, layer in sorted(result.layers.items()):
        layers.setdefault(layer, []).append(n)
    assert [sorted(v) for _, v in sorted(layers.items())] == [
        ["a", "b", "c"],
        ["d", "e", "f"],
        ["g", "h"],
    ]

    def crossings(order: dict[str, int]) -> int:
        return sum(
            1
            for (a1, b1), (a2, b2) in itertools.combinations(edges, 2)
            if result.layers[a1] == result.layers[a2]
            and (order[a1] - order[a2]) * (order[b1] - order[b2]) < 0
        )

    best = min(
        crossings({n: i for perm in perms for i, n in enumerate(perm)})
        for perms in itertools.product(
            *(itertools.permutations(v) for _, v in sorted(layers.items()))
        )
    )
    in_id_order = crossings({n: i for v in layers.values() for i, n in enumerate(sorted(v))})
    assert best < in_id_order
    assert crossings_from_positions(result, g) == best == result.crossings


def test_a_graph_without_crossings_is_drawn_without() -> None:
    g = graph([("a", "d"), ("b", "c"), ("c", "e"), ("d", "f"), ("b", "e")])
    result = layout(g)
    assert crossings_from_positions(result, g) == 0 == result.crossings


def test_components_get_bands_and_lone_nodes_a_grid() -> None:
    g = graph([("a", "b"), ("c", "d"), ("d", "e")], extra=("l1", "l2", "l3"))
    result = layout(g)
    big = [result.boxes[n] for n in "cde"]  # the larger component comes first
    small = [result.boxes[n] for n in "ab"]
    lone = [result.boxes[n] for n in ("l1", "l2", "l3")]
    assert max(b.bottom for b in big) < min(b.top for b in small)
    assert max(b.bottom for b in small) < min(b.top for b in lone)
    assert len({b.y for b in lone}) == 1 and len({b.x for b in lone}) == 3


def test_cache_returns_the_same_layout_and_forgets_the_oldest() -> None:
    lay.clear_cache()
    g = random_graph(5)
    first = layout_cached(g)
    assert layout_cached(LayoutGraph.build(reversed(g.nodes), g.edges)) is first
    assert layout_cached(g, focus="n10") is not first
    for i in range(lay.CACHE_SIZE):
        layout_cached(graph([(f"a{i}", "b")]))
    assert lay.cache_info() == lay.CACHE_SIZE
    again = layout_cached(g)
    assert again is not first and dict(again.boxes) == dict(first.boxes)


def test_bad_graphs_are_refused() -> None:
    cases = [
        (LayoutGraph.build([LayoutNode("a"), LayoutNode("a")]), "appears twice"),
        (LayoutGraph.build([LayoutNode("a", parent="p")]), "not a node"),
        (LayoutGraph.build([LayoutNode("a")], [LayoutEdge("a", "b")]), "not a node"),
        (LayoutGraph.build([LayoutNode("a", parent="b"), LayoutNode("b", parent="a")]), "ancestor"),
        (LayoutGraph.build([LayoutNode(1.5)]), "integers or strings"),  # type: ignore[arg-type]
    ]
    for g, message in cases:
        with pytest.raises(ValueError, match=message):
            layout(g)
    with pytest.raises(ValueError, match="focus"):
        layout(graph([("a", "b")]), focus="z")
    with pytest.raises(ValueError):
        LayoutOptions(node_width=0)


def test_integer_and_string_ids_mix() -> None:
    g = LayoutGraph.build([LayoutNode(2), LayoutNode("2"), LayoutNode(1)], [LayoutEdge(1, 2)])
    result = layout(g)
    assert result.layers[1] == 0 and result.layers[2] == 1


def test_cytoscape_elements() -> None:
    nodes = [
        LayoutNode(1, "orders", data={"type": "table"}),
        LayoutNode(11, "id", 1, {"type": "column"}),
        LayoutNode(2, "facts"),
        LayoutNode(21, "id", 2),
    ]
    edges = [
        LayoutEdge(11, 21, id=1, data={"kind": "copy"}),
        LayoutEdge(1, 2),
        LayoutEdge(1, 2),
    ]
    g = LayoutGraph.build(nodes, edges)
    result = layout(g)
    elements = to_cytoscape(result, g)
    json.dumps(elements)
    node_els = [e for e in elements if e["group"] == "nodes"]
    edge_els = [e for e in elements if e["group"] == "edges"]
    assert [e["data"]["id"] for e in node_els] == ["1", "2", "11", "21"]  # parents first
    col = node_els[2]
    assert col["data"] == {
        "type": "column", "id": "11", "label": "id", "parent": "1", "layer": 0,
        "width": result.boxes[11].width, "height": result.boxes[11].height,
    }  # fmt: skip
    assert col["position"] == {"x": result.boxes[11].x, "y": result.boxes[11].y}
    ids = [e["data"]["id"] for e in elements]
    assert len(set(ids)) == len(ids)  # nodes and edges share cytoscape's id space
    assert {e["data"]["id"] for e in edge_els} == {"edge:1", "1->2", "1->2#2"}
    copy = next(e for e in edge_els if e["data"]["id"] == "edge:1")
    assert copy["data"] == {
        "kind": "copy",
        "id": "edge:1",
        "source": "11",
        "target": "21",
        "reversed": False,
    }


def service_answer() -> dict[str, object]:
    """The shape ``services.lineage.lineage_graph`` returns at column level."""

    def col(i: int, table: int, name: str, distance: int) -> dict[str, object]:
        return {
            "id": i, "urn": f"urn:x:{i}", "name": name, "qualified_name": f"main.t{table}.{name}",
            "type": "column", "source": "s", "parent_id": table, "owner": None,
            "criticality": None, "domain": None, "tags": [], "description": None,
            "distance": distance,
        }  # fmt: skip

    return {
        "root": 20,
        "nodes": [
            col(11, 10, "id", -1),
            col(12, 10, "amount", -1),
            col(21, 20, "id", 0),
            col(31, 30, "id", 1),
        ],
        "edges": [
            {
                "id": 1,
                "source": 11,
                "target": 21,
                "kind": "copy",
                "confidence": 1.0,
                "origin": "view",
            },
            {
                "id": 2,
                "source": 12,
                "target": 21,
                "kind": "filter",
                "confidence": 1.0,
                "origin": "view",
            },
            {
                "id": 3,
                "source": 21,
                "target": 31,
                "kind": "copy",
                "confidence": 1.0,
                "origin": "sql",
            },
            {
                "id": 4,
                "source": 21,
                "target": 99,
                "kind": "copy",
                "confidence": 1.0,
                "origin": "sql",
            },
        ],
        "truncated": False,
    }


def test_graphs_from_the_lineage_service() -> None:
    answer = service_answer()
    g = LayoutGraph.from_lineage(answer)
    tables = {n.id: n for n in g.nodes if n.parent is None}
    assert set(tables) == {10, 20, 30}  # the columns' tables, added
    assert tables[20].label == "main.t20" and tables[20].data["placeholder"] is True
    assert len(g.edges) == 3  # the edge to a node not in the answer is dropped
    elements = lineage_elements(answer)
    by_id = {e["data"]["id"]: e for e in elements}
    assert by_id["20"]["position"] == {"x": 0.0, "y": by_id["20"]["position"]["y"]}
    assert by_id["20"]["data"]["layer"] == 0
    assert by_id["10"]["data"]["layer"] == -1 and by_id["30"]["data"]["layer"] == 1
    assert by_id["21"]["data"]["parent"] == "20"
    assert by_id["edge:2"]["data"]["kind"] == "filter"
    table_level = {**answer, "root": 11, "nodes": [{**n, "type": "table"} for n in answer["nodes"]]}  # type: ignore[attr-defined]
    assert all(n.parent is None for n in LayoutGraph.from_lineage(table_level).nodes)


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_with_loops_and_a_focus_keep_every_edge_pointing_right(seed: int) -> None:
    base = random_graph(seed, nodes=90, edges=130)
    rng = random.Random(seed)
    ids = [n.id for n in base.nodes if str(n.id).startswith("n")]
    loops = [LayoutEdge(rng.choice(ids), rng.choice(ids)) for _ in range(8)]
    g = LayoutGraph.build(base.nodes, [*base.edges, *loops])
    focus = rng.choice(ids)
    result = layout(g, focus=focus)
    assert result.position(focus) == (0.0, 0.0) and result.layers[focus] == 0
    for e in g.edges:
        if e.source == e.target:
            continue
        if (e.source, e.target) in result.reversed_edges:
            assert result.layers[e.source] > result.layers[e.target]
        else:
            assert result.layers[e.source] < result.layers[e.target], (e, focus)
    ups = {e.source for e in g.edges if e.target == focus} - {focus}
    downs = {e.target for e in g.edges if e.source == focus} - {focus}
    for n in ups:
        if (n, focus) not in result.reversed_edges:
            assert result.boxes[n].x < 0
    for n in downs:
        if (focus, n) not in result.reversed_edges:
            assert result.boxes[n].x > 0
    for a, b in itertools.combinations(g.nodes, 2):
        assert not overlaps(result.boxes[a.id], result.boxes[b.id])


def test_a_loop_back_into_an_earlier_stage_turns_that_edge() -> None:
    edges = [
        ("raw1", "stg1"), ("raw2", "stg2"), ("stg1", "int1"), ("stg2", "int1"),
        ("int1", "mart1"), ("mart1", "rpt1"), ("mart1", "rpt2"),
        ("rpt1", "stg1"),  # a report written back into staging
    ]  # fmt: skip
    result = layout(graph(edges))
    assert result.reversed_edges == frozenset({("rpt1", "stg1")})
    assert [result.layers[n] for n in ("raw1", "stg1", "int1", "mart1", "rpt1")] == [0, 1, 2, 3, 4]
