"""Directed acyclic graphs of steps: order, cycles, neighbours. Pure functions on id mappings."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Mapping, Sequence

logger = logging.getLogger(__name__)


def downstream_map(upstream: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Invert ``node -> its dependencies`` into ``node -> nodes that depend on it``."""
    down: dict[str, list[str]] = {node: [] for node in upstream}
    for node, deps in upstream.items():
        for dep in deps:
            down.setdefault(dep, []).append(node)
    return down


def find_cycle(upstream: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One cycle as a closed path ``[a, b, ..., a]`` (a depends on ... on a), or None.

    Iterative depth-first search, so thousands of steps do not hit the recursion limit.
    Dependencies on unknown nodes are ignored (validation reports them separately).
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(upstream, white)
    for root in upstream:
        if colour[root] != white:
            continue
        path: list[str] = [root]
        iters = [iter(upstream[root])]
        colour[root] = grey
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                iters.pop()
                continue
            state = colour.get(nxt)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state == white:
                colour[nxt] = grey
                path.append(nxt)
                iters.append(iter(upstream[nxt]))
    return None


def topological_order(upstream: Mapping[str, Sequence[str]]) -> list[str]:
    """Kahn's algorithm; among ready nodes the one declared first goes first (stable).

    Raises ``ValueError`` naming a cycle if there is one.
    """
    position = {node: i for i, node in enumerate(upstream)}
    missing = {d for deps in upstream.values() for d in deps if d not in position}
    if missing:
        raise ValueError(f"unknown dependencies: {sorted(missing)}")
    indegree = {node: len(set(deps)) for node, deps in upstream.items()}
    down = downstream_map({n: sorted(set(d)) for n, d in upstream.items()})
    ready = [position[n] for n, deg in indegree.items() if deg == 0]
    heapq.heapify(ready)
    nodes = list(upstream)
    order: list[str] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for child in down[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, position[child])
    if len(order) != len(nodes):
        cycle = find_cycle(upstream) or []
        raise ValueError(f"cycle: {' -> '.join(cycle)}")
    return order


def ancestors(upstream: Mapping[str, Sequence[str]], nodes: Iterable[str]) -> set[str]:
    """Every node the given nodes depend on, transitively (not including themselves)."""
    seen: set[str] = set()
    stack = [d for n in nodes for d in upstream.get(n, ())]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(upstream.get(node, ()))
    return seen


def descendants(upstream: Mapping[str, Sequence[str]], nodes: Iterable[str]) -> set[str]:
    """Every node that depends on one of the given nodes, transitively."""
    return ancestors(downstream_map(upstream), nodes)
