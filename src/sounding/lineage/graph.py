"""Graph work that needs no store: table edges of a parsed script, and bounded traversal.

``walk`` explores level by level through a ``fetch`` callback (the store gives it one query
per level), so it is cycle-safe (each node is visited once), depth-limited and capped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.lineage import LineageResult

Fetch = Callable[[list[int]], list[dict[str, Any]]]


def table_edges(result: LineageResult) -> list[tuple[str, str]]:
    """``(source, target)`` table pairs of a script, through its intermediate tables.

    Each statement links what it reads to what it writes; an intermediate table (written, then
    read) is walked through, so ``INSERT INTO tmp SELECT FROM a; INSERT INTO b SELECT FROM tmp``
    yields ``a -> b`` and never ``a -> tmp``.
    """
    feeds: dict[str, set[str]] = defaultdict(set)  # target -> what it reads directly
    for st in result.statements:
        for w in st.writes:
            feeds[w].update(r for r in st.reads if r != w)
    sources = set(result.sources)
    pairs: set[tuple[str, str]] = set()
    for target in result.targets:
        stack, seen = list(feeds.get(target, ())), {target}
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in sources:
                pairs.add((node, target))
            stack.extend(feeds.get(node, ()))
    return sorted(pairs)


@dataclass
class Walk:
    """What a traversal reached: node -> distance, the edges used, and the BFS tree."""

    distance: dict[int, int] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    parent: dict[int, int] = field(default_factory=dict)
    truncated: bool = False

    def path_to(self, node: int) -> list[int]:
        """Nodes from a start node to ``node`` along the BFS tree."""
        path = [node]
        while path[-1] in self.parent:
            path.append(self.parent[path[-1]])
        return path[::-1]


def walk(
    start: Sequence[int], fetch: Fetch, direction: str, depth: int, max_nodes: int = 5000
) -> Walk:
    """Breadth-first from ``start`` following ``fetch``'s edges, ``depth`` levels at most."""
    far = "target_id" if direction == "downstream" else "source_id"
    out = Walk(distance=dict.fromkeys(start, 0))
    frontier = list(dict.fromkeys(start))
    seen_edges: set[int] = set()
    for level in range(1, depth + 1):
        if not frontier:
            break
        nxt: list[int] = []
        for edge in fetch(frontier):
            if edge["id"] in seen_edges:
                continue
            node = int(edge[far])
            if node not in out.distance and len(out.distance) >= max_nodes:
                out.truncated = True
                continue
            seen_edges.add(edge["id"])
            out.edges.append(edge)
            if node not in out.distance:
                out.distance[node] = level
                out.parent[node] = int(edge["source_id" if far == "target_id" else "target_id"])
                nxt.append(node)
        frontier = nxt
    return out
