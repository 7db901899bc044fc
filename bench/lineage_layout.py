"""Lineage layout speed: ``sounding.lineage.layout.layout`` on graphs of 5,000 nodes.

Three shapes, seeded:

- ``random``: random layered DAGs, 25 layers of 200 nodes, 6,000 edges, most to the next
  layer, some skipping up to 3 layers (a new graph each run);
- ``warehouse``: a realistic warehouse: 1,500 raw tables, 1,500 staging models reading one
  raw table each, 1,000 intermediate models reading 2-4 staging ones, 700 marts reading
  intermediate and staging models, 300 reports on marts, and a few edges closing cycles;
- ``columns``: column level, 600 tables of 4-12 columns (about 5,000 nodes with the tables)
  and 6,000 column edges between tables of consecutive warehouse stages.

Each is laid out ``--runs`` times without the cache (the first run, a warm-up, is not counted);
``warehouse_focus`` is ``warehouse`` around one intermediate model. ``warehouse_extras`` times
a cache hit of ``layout_cached`` and ``to_cytoscape`` (the JSON-ready elements).

    .venv/bin/python bench/lineage_layout.py [--runs 15]

Prints one JSON line; goal: median and p95 under 200 ms for 5,000 nodes / 6,000 edges.
``cpu_median_ms`` is the process's CPU time per layout: on a machine shared with other work
the wall-clock figures include waiting for a core, the CPU figure does not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable

from sounding.lineage.layout import (
    LayoutEdge,
    LayoutGraph,
    LayoutNode,
    clear_cache,
    layout,
    layout_cached,
    to_cytoscape,
)


def random_dag(seed: int, layers: int = 25, width: int = 200, edges: int = 6000) -> LayoutGraph:
    rng = random.Random(seed)
    nodes = [LayoutNode(f"n{i}", f"n{i}") for i in range(layers * width)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        layer = rng.randrange(layers - 1)
        skip = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        target_layer = min(layer + skip, layers - 1)
        pairs.add(
            (layer * width + rng.randrange(width), target_layer * width + rng.randrange(width))
        )
    return LayoutGraph.build(nodes, [LayoutEdge(f"n{a}", f"n{b}") for a, b in sorted(pairs)])


def warehouse(seed: int) -> LayoutGraph:
    rng = random.Random(seed)
    stages = {"raw": 1500, "stg": 1500, "int": 1000, "mart": 700, "rpt": 300}
    ids = {s: [f"{s}_{i}" for i in range(n)] for s, n in stages.items()}
    edges: set[tuple[str, str]] = set()
    for i, s in enumerate(ids["stg"]):
        edges.add((ids["raw"][i], s))
    for s in ids["int"]:
        for src in rng.sample(ids["stg"], rng.randint(2, 4)):
            edges.add((src, s))
    for s in ids["mart"]:
        for src in rng.sample(ids["int"], rng.randint(1, 3)):
            edges.add((src, s))
        if rng.random() < 0.3:
            edges.add((rng.choice(ids["stg"]), s))
    for s in ids["rpt"]:
        for src in rng.sample(ids["mart"], rng.randint(1, 3)):
            edges.add((src, s))
    for _ in range(20):  # a few loops: a report written back into staging
        edges.add((rng.choice(ids["rpt"]), rng.choice(ids["stg"])))
    nodes = [LayoutNode(n, n) for stage in ids.values() for n in stage]
    return LayoutGraph.build(nodes, [LayoutEdge(a, b) for a, b in sorted(edges)])


def columns(seed: int) -> LayoutGraph:
    rng = random.Random(seed)
    stage_sizes = [150, 150, 120, 110, 70]
    tables: list[list[tuple[str, list[str]]]] = []
    nodes: list[LayoutNode] = []
    for s, count in enumerate(stage_sizes):
        stage = []
        for t in range(count):
            tid = f"t{s}_{t}"
            cols = [f"{tid}.c{c}" for c in range(rng.randint(4, 12))]
            nodes.append(LayoutNode(tid, tid))
            nodes.extend(LayoutNode(c, c.rsplit(".", 1)[1], tid) for c in cols)
            stage.append((tid, cols))
        tables.append(stage)
    edges: set[tuple[str, str]] = set()
    while len(edges) < 6000:
        s = rng.randrange(len(tables) - 1)
        _, target_cols = rng.choice(tables[s + 1])
        target = rng.choice(target_cols)
        # a target table reads a few source tables: keep sources close to the target's index
        index = int(target.split(".")[0].rsplit("_", 1)[1])
        _, source_cols = tables[s][(index + rng.randrange(5)) % len(tables[s])]
        edges.add((rng.choice(source_cols), target))
    return LayoutGraph.build(nodes, [LayoutEdge(a, b) for a, b in sorted(edges)])


def timed(
    build: Callable[[int], LayoutGraph], runs: int, focus: str | None = None
) -> dict[str, float]:
    times: list[float] = []
    cpu: list[float] = []
    crossings = []
    graph = build(0)
    for run in range(runs + 1):
        if build is random_dag:
            graph = build(run)
        start, start_cpu = time.perf_counter(), time.process_time()
        result = layout(graph, focus)
        elapsed = (time.perf_counter() - start) * 1000
        if run:
            times.append(elapsed)
            cpu.append((time.process_time() - start_cpu) * 1000)
            crossings.append(result.crossings)
    times.sort()
    return {
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "crossings_median": statistics.median(crossings),
    }


def extras(runs: int) -> dict[str, float]:
    """On ``warehouse``: a cache hit (ids sorted and hashed, no layout) and the elements."""
    graph = warehouse(0)
    clear_cache()
    result = layout_cached(graph)
    hits, elements = [], []
    for _ in range(runs):
        start = time.perf_counter()
        layout_cached(graph)
        hits.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        to_cytoscape(result, graph)
        elements.append((time.perf_counter() - start) * 1000)
    return {
        "cache_hit_median_ms": round(statistics.median(hits), 1),
        "to_cytoscape_median_ms": round(statistics.median(elements), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    out = {
        "random": timed(random_dag, args.runs),
        "warehouse": timed(warehouse, args.runs),
        "warehouse_focus": timed(warehouse, args.runs, focus="int_500"),
        "columns": timed(columns, args.runs),
        "warehouse_extras": extras(args.runs),
        "runs": args.runs,
        "goal_ms": 200,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
