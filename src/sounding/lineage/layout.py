"""Positions for drawing a lineage graph left to right (a layered, Sugiyama-style layout).

The web UI draws lineage with cytoscape.js's ``preset`` layout, so positions are computed here:

1. **Layers.** Cycles are broken first (Eades, Lin and Smyth's greedy heuristic orders the
   nodes, sources left and sinks right, and the few edges pointing left are turned around),
   then every node's layer is its longest path from a source; a source that feeds only later
   layers is pulled right next to the first node it feeds. With a **focus**, the layer is
   the signed distance from the focus instead: upstream nodes to the left (negative),
   downstream to the right (positive), distances taken along the longest path so every edge
   still points right; nodes of the focus's component that are neither upstream
   nor downstream (another input of a downstream node...) sit between their neighbours.
2. **Order.** Edges spanning several layers get a dummy node in each layer they cross, and a
   few barycenter sweeps (down, then up) reorder every layer; the order with the fewest edge
   crossings seen is kept. Each connected component keeps its own horizontal band; nodes with
   no edge at all go in a grid below.
3. **Coordinates.** Layers are evenly spaced columns; the nodes of a layer are stacked with an
   even gap and centred in their component's band. With a focus, the focus is at (0, 0).

**Compound nodes** (a column inside its table: ``LayoutNode.parent``) are laid out as part of
their top-level ancestor: edges between columns count as edges between their tables, the
table's box grows to hold its columns, stacked under a header, and the columns are ordered by
where their neighbours are, so that fewer column edges cross.

Same input, same positions: every choice is made in a fixed order of the node ids (integers
before strings), never in input order, so listing the same nodes and edges differently gives
the same layout too. ``layout_cached`` keeps recent layouts keyed by a fingerprint of the
nodes, parents, edges, focus and options. ``to_cytoscape`` gives the JSON-ready elements, and
``LayoutGraph.from_lineage`` / ``lineage_elements`` take the lineage graph the service returns.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

NodeId = int | str
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class LayoutNode:
    """A node to place. ``parent`` makes it a child drawn inside another node (a column in its
    table); ``data`` is passed through to the cytoscape element untouched."""

    id: NodeId
    label: str = ""
    parent: NodeId | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LayoutEdge:
    """A directed edge ``source -> target``; ``id`` and ``data`` go to the cytoscape element."""

    source: NodeId
    target: NodeId
    id: NodeId | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LayoutGraph:
    nodes: tuple[LayoutNode, ...]
    edges: tuple[LayoutEdge, ...] = ()

    @classmethod
    def build(cls, nodes: Iterable[LayoutNode], edges: Iterable[LayoutEdge] = ()) -> LayoutGraph:
        return cls(tuple(nodes), tuple(edges))

    @classmethod
    def from_lineage(cls, result: Mapping[str, Any] | Any) -> LayoutGraph:
        """The graph of ``services.lineage.lineage_graph``'s answer (or the API's JSON of it).

        Node ids are the asset ids, labels their names, and the whole node dict goes to
        ``data``. At column level the tables of the columns are not in the answer: each
        column's table (``parent_id``) is added as a compound node labelled with its qualified
        name (``data.placeholder`` is true). A ``parent_id`` that is neither in the answer nor
        the table of a column (a table's schema) is dropped, and so are edges to nodes the
        answer does not hold.
        """
        result = _as_mapping(result)
        raw = list(result.get("nodes", ()))
        ids = {n["id"] for n in raw}
        nodes: list[LayoutNode] = []
        added: dict[NodeId, LayoutNode] = {}
        for n in raw:
            parent = n.get("parent_id")
            if parent is not None and parent not in ids:
                if n.get("type") == "column":
                    if parent not in added:
                        qualified = str(n.get("qualified_name") or "")
                        table = qualified.rsplit(".", 1)[0] if "." in qualified else str(parent)
                        added[parent] = LayoutNode(
                            parent,
                            table,
                            None,
                            {
                                "qualified_name": table,
                                "name": table.rsplit(".", 1)[-1],
                                "placeholder": True,
                            },
                        )
                else:
                    parent = None
            label = n.get("name") or n.get("qualified_name") or str(n["id"])
            data = {k: v for k, v in n.items() if k != "id"}
            nodes.append(LayoutNode(n["id"], str(label), parent, data))
        nodes.extend(added.values())
        known = ids | set(added)
        edges = [
            LayoutEdge(
                e["source"],
                e["target"],
                e.get("id"),
                {k: v for k, v in e.items() if k not in ("id", "source", "target")},
            )
            for e in result.get("edges", ())
            if e["source"] in known and e["target"] in known
        ]
        return cls(tuple(nodes), tuple(edges))


@dataclass(frozen=True, slots=True)
class LayoutOptions:
    """Sizes and gaps in pixels; ``sweeps`` is how many down-and-up barycenter passes run."""

    node_width: float = 200.0
    node_height: float = 40.0
    child_height: float = 24.0
    header_height: float = 32.0
    padding: float = 8.0
    child_gap: float = 4.0
    layer_gap: float = 120.0
    node_gap: float = 24.0
    component_gap: float = 64.0
    sweeps: int = 4
    reorder_children: bool = True

    def __post_init__(self) -> None:
        sizes = astuple(self)[:9]
        if any(not np.isfinite(s) or s < 0 for s in sizes):
            raise ValueError("layout sizes and gaps must be finite and not negative")
        if self.node_width <= 0 or self.node_height <= 0 or self.child_height <= 0:
            raise ValueError("node sizes must be positive")
        if not 0 <= self.sweeps <= 50:
            raise ValueError("sweeps must be between 0 and 50")


class Box(NamedTuple):
    """A node's box: ``x``/``y`` is its centre (what cytoscape's positions are)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Layout:
    """Where every node goes. ``layers`` gives each node's column (a child has its top-level
    ancestor's; with a focus the focus is 0). ``reversed_edges`` are the top-level pairs turned
    around to break cycles; ``crossings`` counts crossings between adjacent layers after
    ordering (long edges counted through their dummy nodes, between top-level nodes)."""

    boxes: Mapping[NodeId, Box]
    layers: Mapping[NodeId, int]
    reversed_edges: frozenset[tuple[NodeId, NodeId]]
    focus: NodeId | None
    crossings: int
    fingerprint: str

    def position(self, node: NodeId) -> tuple[float, float]:
        box = self.boxes[node]
        return box.x, box.y


def _key(node: NodeId) -> tuple[int, int, str]:
    if isinstance(node, int):
        return (0, node, "")
    if isinstance(node, str):
        return (1, 0, node)
    raise ValueError(f"node ids must be integers or strings, not {node!r}")


@dataclass
class _Prepared:
    ids: list[NodeId]  # every node, in key order
    index: dict[NodeId, int]
    parent: list[int]  # node -> its parent, -1 for a top-level node
    top: list[int]  # node -> its top-level ancestor (itself when top-level)
    children: dict[int, list[int]]  # node -> its children in key order
    tops: list[int]  # top-level nodes in key order
    edges: IntArray  # every edge as a row of node indices (source, target), sorted
    focus: int | None


def _prepare(graph: LayoutGraph, focus: NodeId | None) -> _Prepared:
    seen: dict[NodeId, LayoutNode] = {}
    for node in graph.nodes:
        if not isinstance(node.id, int | str):
            raise ValueError(f"node ids must be integers or strings, not {node.id!r}")
        if node.id in seen:
            raise ValueError(f"node {node.id!r} appears twice")
        seen[node.id] = node
    kinds = {type(i) for i in seen}
    ids = sorted(seen) if len(kinds) == 1 else sorted(seen, key=_key)  # one kind: C comparisons
    index = {n: i for i, n in enumerate(ids)}
    parent: list[int] = [-1] * len(ids)
    for i, n in enumerate(ids):
        p = seen[n].parent
        if p is None:
            continue
        if p not in index:
            raise ValueError(f"parent {p!r} of node {n!r} is not a node of the graph")
        parent[i] = index[p]
    top = [-1] * len(ids)
    for i in range(len(ids)):
        chain: list[int] = []
        j = i
        while top[j] < 0 and parent[j] >= 0:
            chain.append(j)
            if len(chain) > len(ids):
                raise ValueError(f"node {ids[i]!r} is its own ancestor")
            j = parent[j]
        root = top[j] if top[j] >= 0 else j
        for k in chain:
            top[k] = root
        top[j] = root
    children: dict[int, list[int]] = {}
    for i, p in enumerate(parent):
        if p >= 0:
            children.setdefault(p, []).append(i)
    try:
        sources = [index[e.source] for e in graph.edges]
        targets = [index[e.target] for e in graph.edges]
    except (KeyError, TypeError):
        for e in graph.edges:
            for end in (e.source, e.target):
                if not isinstance(end, int | str) or end not in index:
                    raise ValueError(
                        f"edge {e.source!r} -> {e.target!r}: {end!r} is not a node"
                    ) from None
        raise
    pairs = np.array([sources, targets], np.int64).reshape(2, -1)
    edges = np.ascontiguousarray(pairs[:, np.lexsort((pairs[1], pairs[0]))].T)
    if focus is not None and focus not in index:
        raise ValueError(f"focus {focus!r} is not a node of the graph")
    return _Prepared(
        ids=ids,
        index=index,
        parent=parent,
        top=top,
        children=children,
        tops=[i for i in range(len(ids)) if parent[i] < 0],
        edges=edges,
        focus=None if focus is None else index[focus],
    )


def _fingerprint(prep: _Prepared, opts: LayoutOptions) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(prep.ids).encode())
    digest.update(np.array(prep.parent, np.int64).tobytes())
    digest.update(prep.edges.tobytes())
    digest.update(repr((prep.focus, astuple(opts))).encode())
    return digest.hexdigest()


def fingerprint(
    graph: LayoutGraph, focus: NodeId | None = None, options: LayoutOptions | None = None
) -> str:
    """What a layout depends on (node ids, parents, edges, focus, options), hashed; labels and
    ``data`` move nothing, so they are left out, and so is the order nodes and edges come in."""
    return _fingerprint(_prepare(graph, focus), options or LayoutOptions())


def layout(
    graph: LayoutGraph, focus: NodeId | None = None, options: LayoutOptions | None = None
) -> Layout:
    """Lay ``graph`` out left to right; raises ``ValueError`` on a graph that is not one
    (duplicate ids, unknown parents or edge ends, a parent cycle, an unknown focus)."""
    opts = options or LayoutOptions()
    prep = _prepare(graph, focus)
    return _compute(prep, opts, focus, _fingerprint(prep, opts))


_cache: OrderedDict[str, Layout] = OrderedDict()
_cache_lock = threading.Lock()


def layout_cached(
    graph: LayoutGraph, focus: NodeId | None = None, options: LayoutOptions | None = None
) -> Layout:
    """``layout`` through a small LRU cache (the ``CACHE_SIZE`` most recently used graphs)."""
    opts = options or LayoutOptions()
    prep = _prepare(graph, focus)
    key = _fingerprint(prep, opts)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = _compute(prep, opts, focus, key)
    with _cache_lock:
        _cache[key] = result
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def cache_info() -> int:
    """How many layouts the cache holds."""
    with _cache_lock:
        return len(_cache)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# --- layers ------------------------------------------------------------------------------


def _components(n: int, succ: list[list[int]], pred: list[list[int]]) -> list[int]:
    comp = [-1] * n
    count = 0
    for s in range(n):
        if comp[s] >= 0:
            continue
        comp[s] = count
        stack = [s]
        while stack:
            v = stack.pop()
            for w in succ[v]:
                if comp[w] < 0:
                    comp[w] = count
                    stack.append(w)
            for w in pred[v]:
                if comp[w] < 0:
                    comp[w] = count
                    stack.append(w)
        count += 1
    return comp


def _topological(n: int, succ: list[list[int]], pred: list[list[int]]) -> list[int]:
    """Kahn's order (sources in index order first); shorter than ``n`` when there is a cycle."""
    indeg = [len(p) for p in pred]
    queue = deque(v for v in range(n) if indeg[v] == 0)
    order: list[int] = []
    while queue:
        v = queue.popleft()
        order.append(v)
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                queue.append(w)
    return order


def _back_edges(
    n: int, succ: list[list[int]], pred: list[list[int]], first: int | None
) -> set[tuple[int, int]]:
    """Edges to turn around so that no cycle is left: Eades, Lin and Smyth's greedy order.

    Sinks go to the right end, sources to the left end, and when there is neither, the node
    with the most more edges out than in goes left; ties go to ``first`` (the focus), then to
    the node nearest the graph's sources (breadth-first), then the smaller index. The edges
    pointing left in that order are turned around: a loop written back into an earlier stage
    (a report feeding a staging table) turns that edge, not one along the main flow.
    """
    near = [n] * n  # breadth-first distance from the sources; n when none reaches the node
    queue = deque(v for v in range(n) if not pred[v])
    for v in queue:
        near[v] = 0
    while queue:
        v = queue.popleft()
        for w in succ[v]:
            if near[w] == n:
                near[w] = near[v] + 1
                queue.append(w)
    alive = [True] * n
    indeg = [len(p) for p in pred]
    outdeg = [len(x) for x in succ]
    place = [0] * n
    left, right = 0, n - 1
    sources = deque(v for v in range(n) if indeg[v] == 0)
    sinks = deque(v for v in range(n) if outdeg[v] == 0)
    heap = [(indeg[v] - outdeg[v], v != first, near[v], v) for v in range(n)]
    heapq.heapify(heap)

    def remove(v: int) -> None:
        alive[v] = False
        for w in succ[v]:
            if alive[w]:
                indeg[w] -= 1
                if indeg[w] == 0:
                    sources.append(w)
                heapq.heappush(heap, (indeg[w] - outdeg[w], w != first, near[w], w))
        for w in pred[v]:
            if alive[w]:
                outdeg[w] -= 1
                if outdeg[w] == 0:
                    sinks.append(w)
                heapq.heappush(heap, (indeg[w] - outdeg[w], w != first, near[w], w))

    while left <= right:
        if sinks:
            v = sinks.popleft()
            if alive[v]:
                place[v] = right
                right -= 1
                remove(v)
            continue
        if sources:
            v = sources.popleft()
            if alive[v]:
                place[v] = left
                left += 1
                remove(v)
            continue
        delta, _, _, v = heapq.heappop(heap)
        if alive[v] and delta == indeg[v] - outdeg[v]:
            place[v] = left
            left += 1
            remove(v)
    return {(v, w) for v in range(n) for w in succ[v] if place[v] > place[w]}


def _adjacency(
    n: int, pairs: Mapping[tuple[int, int], int]
) -> tuple[list[list[int]], list[list[int]]]:
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for a, b in sorted(pairs):
        succ[a].append(b)
        pred[b].append(a)
    return succ, pred


def _longest_path(order: list[int], succ: list[list[int]], pred: list[list[int]]) -> list[int]:
    layer = [0] * len(order)
    for v in order:
        lv = layer[v] + 1
        for w in succ[v]:
            if layer[w] < lv:
                layer[w] = lv
    for v in order:  # a source waits next to the first node it feeds
        if not pred[v] and succ[v]:
            layer[v] = min(layer[w] for w in succ[v]) - 1
    return layer


def _focus_layers(
    focus: int,
    members: list[int],
    order: list[int],
    succ: list[list[int]],
    pred: list[list[int]],
    layer: list[int],
) -> None:
    """Signed longest distance from ``focus`` for the nodes of its component (in place)."""
    down = _reach(focus, succ)
    up = _reach(focus, pred)
    inside = set(members)
    topo = [v for v in order if v in inside]
    assigned: dict[int, int] = {focus: 0}
    for v in topo:  # downstream: longest path from the focus
        if v in down and v != focus:
            assigned[v] = max(assigned[p] + 1 for p in pred[v] if p in down)
    for v in reversed(topo):  # upstream: longest path to the focus
        if v in up and v != focus:
            assigned[v] = min(assigned[s] - 1 for s in succ[v] if s in up)
    rest = [v for v in topo if v not in down and v not in up]
    while rest:  # the component is connected: each round places at least one more
        for v in rest:  # after what feeds them...
            known = [assigned[p] for p in pred[v] if p in assigned]
            if known:
                assigned[v] = max(known) + 1
        for v in reversed(rest):  # ...or before what they feed
            if v not in assigned:
                ahead = [assigned[s] for s in succ[v] if s in assigned]
                if ahead:
                    assigned[v] = min(ahead) - 1
        rest = [v for v in rest if v not in assigned]
    for v in topo:  # every edge points right (only pushes what the focus feeds, or beside it)
        lv = assigned[v]
        for p in pred[v]:
            if assigned[p] >= lv:
                lv = assigned[p] + 1
        assigned[v] = lv
    for v, lv in assigned.items():
        layer[v] = lv


def _reach(start: int, adj: list[list[int]]) -> set[int]:
    seen = {start}
    stack = [start]
    while stack:
        v = stack.pop()
        for w in adj[v]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


# --- order -------------------------------------------------------------------------------


def _inversions(values: IntArray) -> int:
    """Pairs ``i < j`` with ``values[i] > values[j]``: a bottom-up merge sort whose levels are
    vectorised (each row holds two sorted halves; a binary search counts, a sort merges)."""
    n = len(values)
    if n < 2:
        return 0
    merges = max(0, (n - 1) // 32).bit_length()  # rows of at most 32 first, then merged
    block = -(-n // (1 << merges))
    size = block << merges
    span = int(values.max()) + 2
    arr = np.full(size, span - 1, np.int64)  # padding at the end adds no inversion
    arr[:n] = values
    rows = arr.reshape(-1, block)
    later = np.triu(np.ones((block, block), bool), k=1)
    total = int(((rows[:, :, None] > rows[:, None, :]) & later).sum())
    arr = np.sort(rows, axis=1, kind="stable").ravel()
    while block < size:
        rows = arr.reshape(-1, 2 * block)
        offsets = (np.arange(rows.shape[0], dtype=np.int64) * span)[:, None]
        left = (rows[:, :block] + offsets).ravel()  # sorted: rows sorted, offsets increasing
        right = (rows[:, block:] + offsets).ravel()
        at = np.searchsorted(left, right, side="right")
        ends = np.repeat(np.arange(1, rows.shape[0] + 1, dtype=np.int64) * block, block)
        total += int((ends - at).sum())
        arr = np.sort(rows, axis=1, kind="stable").ravel()
        block *= 2
    return total


def _crossings(pos: IntArray, seg_a: IntArray, seg_b: IntArray, seg_layer: IntArray) -> int:
    """Crossings between adjacent layers: within a layer pair, two segments cross when their
    left ends and right ends are in opposite orders."""
    if len(seg_a) < 2:
        return 0
    width = int(pos.max()) + 2
    pa = seg_layer * width + pos[seg_a]
    pb = seg_layer * width + pos[seg_b]
    order = np.lexsort((pb, pa))
    return _inversions(pb[order])


@dataclass
class _Proper:
    layer: IntArray  # proper node -> layer (real nodes first, then dummies)
    group: IntArray  # proper node -> component rank (bands never mix)
    seg_a: IntArray
    seg_b: IntArray
    seg_w: FloatArray
    seg_layer: IntArray  # layer of seg_a


def _proper(
    real_layer: IntArray,
    real_group: IntArray,
    ea: IntArray,
    eb: IntArray,
    ew: FloatArray,
) -> _Proper:
    """Split every edge spanning k layers into k segments through k - 1 dummy nodes."""
    n = len(real_layer)
    span = real_layer[eb] - real_layer[ea]
    extra = span - 1
    base = n + np.concatenate(([0], np.cumsum(extra)[:-1])) if len(ea) else np.zeros(0, np.int64)
    seg_edge = np.repeat(np.arange(len(ea)), span)
    starts = np.concatenate(([0], np.cumsum(span)[:-1])) if len(ea) else np.zeros(0, np.int64)
    offset = np.arange(len(seg_edge)) - np.repeat(starts, span)
    dummy_of = base[seg_edge] + offset  # dummy after segment `offset` (unused on the last)
    last = offset == span[seg_edge] - 1
    seg_a = np.where(offset == 0, ea[seg_edge], dummy_of - 1)
    seg_b = np.where(last, eb[seg_edge], dummy_of)
    dummy_mask = ~last
    dummy_ids = dummy_of[dummy_mask]
    total = n + int(extra.sum()) if len(ea) else n
    layer = np.empty(total, np.int64)
    group = np.empty(total, np.int64)
    layer[:n] = real_layer
    group[:n] = real_group
    src = ea[seg_edge[dummy_mask]]
    layer[dummy_ids] = real_layer[src] + offset[dummy_mask] + 1
    group[dummy_ids] = real_group[src]
    return _Proper(
        layer=layer,
        group=group,
        seg_a=seg_a.astype(np.int64),
        seg_b=seg_b.astype(np.int64),
        seg_w=ew[seg_edge].astype(np.float64),
        seg_layer=real_layer[ea[seg_edge]] + offset,
    )


def _order(proper: _Proper, start: IntArray, sweeps: int) -> tuple[IntArray, int]:
    """Position of every proper node in its layer, after barycenter sweeps, and the crossings
    of that order. ``start`` ranks nodes for the first order (smaller first)."""
    layer, group = proper.layer, proper.group
    nlayers = int(layer.max()) + 1 if len(layer) else 0
    by_layer = np.lexsort((start, group, layer))
    bounds = np.searchsorted(layer[by_layer], np.arange(nlayers + 1))
    members = [by_layer[bounds[i] : bounds[i + 1]] for i in range(nlayers)]
    pos = np.zeros(len(layer), np.int64)
    for m in members:
        pos[m] = np.arange(len(m))
    seg_order = np.argsort(proper.seg_layer, kind="stable")
    sa, sb = proper.seg_a[seg_order], proper.seg_b[seg_order]
    sw = proper.seg_w[seg_order]
    sbound = np.searchsorted(proper.seg_layer[seg_order], np.arange(nlayers + 1))
    pairs = [
        (
            sa[sbound[i] : sbound[i + 1]],
            sb[sbound[i] : sbound[i + 1]],
            sw[sbound[i] : sbound[i + 1]],
        )
        for i in range(nlayers)
    ]

    def count() -> int:
        return _crossings(pos, proper.seg_a, proper.seg_b, proper.seg_layer)

    def place(i: int, ends: IntArray, others: IntArray, w: FloatArray) -> None:
        """Sort layer ``i`` by the barycenters of its neighbours in the layer just placed;
        a node with no neighbour there keeps its slot (the others move around it)."""
        m = members[i]
        if len(m) < 2 or len(ends) == 0:
            return
        at = pos[ends]
        total = np.bincount(at, weights=w * pos[others], minlength=len(m))
        weight = np.bincount(at, weights=w, minlength=len(m))
        movable = np.flatnonzero(weight > 0)
        if len(movable) < 2:
            return
        bary = total[movable] / weight[movable]  # below the size of any layer
        key = group[m[movable]] * float(len(pos)) + bary
        moved = movable[np.argsort(key, kind="stable")]  # ties keep their order
        new = m.copy()
        new[movable] = m[moved]
        members[i] = new
        pos[new] = np.arange(len(new))

    # the first order is only a start: it is counted only when there is no sweep to compare
    best = count() if sweeps == 0 else None
    best_pos = pos.copy()
    for sweep in range(sweeps):
        if best == 0:
            break
        before = pos.copy()
        for i in range(1, nlayers):
            a, b, w = pairs[i - 1]
            place(i, b, a, w)
        for i in range(nlayers - 2, -1, -1):
            a, b, w = pairs[i]
            place(i, a, b, w)
        settled = np.array_equal(before, pos)
        if sweep == 0 and sweeps > 1 and not settled:
            continue  # the first sweep only sets off: the next ones do better (not counted)
        now = count()
        if best is None or now < best:
            best, best_pos = now, pos.copy()
        if settled:
            break
    return best_pos, 0 if best is None else best


# --- the whole layout --------------------------------------------------------------------


def _compute(prep: _Prepared, opts: LayoutOptions, focus_id: NodeId | None, print_: str) -> Layout:
    tops = prep.tops
    n = len(tops)
    tindex = {g: t for t, g in enumerate(tops)}
    top_rank = np.full(len(prep.ids), -1, np.int64)
    top_rank[tops] = np.arange(n)
    top = np.array(prep.top, np.int64)
    ta, tb = top_rank[top[prep.edges[:, 0]]], top_rank[top[prep.edges[:, 1]]]
    keep = ta != tb  # an edge inside one top-level node does not place it
    uniq, counts = np.unique(ta[keep] * max(n, 1) + tb[keep], return_counts=True)
    lifted: dict[tuple[int, int], int] = {
        (a, b): c
        for a, b, c in zip(
            (uniq // max(n, 1)).tolist(), (uniq % max(n, 1)).tolist(), counts.tolist(), strict=True
        )
    }
    focus = None if prep.focus is None else tindex[prep.top[prep.focus]]

    succ, pred = _adjacency(n, lifted)
    order = _topological(n, succ, pred)
    back: set[tuple[int, int]] = set()
    if len(order) < n:
        back = _back_edges(n, succ, pred, focus)
        dag: dict[tuple[int, int], int] = {}
        for (a, b), w in lifted.items():
            key = (b, a) if (a, b) in back else (a, b)
            dag[key] = dag.get(key, 0) + w
        lifted = dag
        succ, pred = _adjacency(n, lifted)
        order = _topological(n, succ, pred)
    layer = _longest_path(order, succ, pred)
    comp = _components(n, succ, pred)
    members: dict[int, list[int]] = {}
    for v in range(n):
        members.setdefault(comp[v], []).append(v)
    if focus is not None:
        _focus_layers(focus, members[comp[focus]], order, succ, pred, layer)
    for group in members.values():  # every component starts at column 0
        low = min(layer[v] for v in group)
        if low:
            for v in group:
                layer[v] -= low
    origin = 0 if focus is None else layer[focus]

    # bands: the focus's component first, then larger ones first; lone nodes go in a grid
    ranked = sorted(
        members.values(),
        key=lambda g: (not (focus is not None and comp[focus] == comp[g[0]]), -len(g), g[0]),
    )
    banded = [g for g in ranked if len(g) > 1 or g[0] == focus]
    lone = [g[0] for g in ranked if len(g) == 1 and g[0] != focus]

    heights, widths = _sizes(prep, opts)
    column = opts.node_width + opts.layer_gap
    ys = np.zeros(n)
    xs = np.zeros(n)
    crossings = 0
    band_top = 0.0
    if banded:
        real = np.array([v for g in banded for v in g], np.int64)
        local = np.full(n, -1, np.int64)
        local[real] = np.arange(len(real))
        rank = np.zeros(len(real), np.int64)
        start = 0
        for r, g in enumerate(banded):
            rank[start : start + len(g)] = r
            start += len(g)
        real_layer = np.array([layer[v] for v in real.tolist()], np.int64)
        ends = np.array(list(lifted), np.int64).reshape(-1, 2)
        ea, eb = local[ends[:, 0]], local[ends[:, 1]]  # lone nodes have no edge
        ew = np.fromiter(lifted.values(), np.float64, len(lifted))
        proper = _proper(real_layer, rank, ea, eb, ew)
        first = np.empty(len(proper.layer), np.int64)
        first[: len(real)] = real
        if len(proper.layer) > len(real):
            seg_src = np.repeat(ea, real_layer[eb] - real_layer[ea] - 1)
            first[len(real) :] = real[seg_src]
        pos, crossings = _order(proper, first, opts.sweeps)
        # stack each layer of each band, evenly spaced, centred in the band
        rpos = pos[: len(real)]
        h = np.array([heights[tops[v]] for v in real.tolist()])
        idx = np.lexsort((rpos, real_layer, rank))
        cell = rank[idx] * (int(real_layer.max()) + 1) + real_layer[idx]
        gaps = h[idx] + opts.node_gap
        run = np.cumsum(gaps)
        cell_start = np.concatenate(([True], cell[1:] != cell[:-1]))
        starts = np.flatnonzero(cell_start)
        base = np.repeat(run[starts] - gaps[starts], np.diff(np.append(starts, len(idx))))
        offset = run - base - gaps  # top of the node inside its block
        block = np.zeros(len(idx))
        block_end = np.append(starts[1:], len(idx)) - 1
        block_h = run[block_end] - base[block_end] - opts.node_gap
        block[:] = np.repeat(block_h, np.diff(np.append(starts, len(idx))))
        band_h = np.zeros(len(banded))
        np.maximum.at(band_h, rank[idx], block)
        band_start = np.concatenate(([0.0], np.cumsum(band_h + opts.component_gap)[:-1]))
        y = band_start[rank[idx]] + (band_h[rank[idx]] - block) / 2 + offset + h[idx] / 2
        ys[real[idx]] = y
        xs[real] = (real_layer - origin) * column
        band_top = float(band_start[-1] + band_h[-1] + opts.component_gap)
    if lone:
        span = max(layer) + 1 if banded else 1
        per_row = max(span, int(np.ceil(np.sqrt(len(lone)))))
        low = min(layer) if banded else 0
        row_top = band_top
        for r in range(0, len(lone), per_row):
            row = lone[r : r + per_row]
            row_h = max(heights[tops[v]] for v in row)
            for c, v in enumerate(row):
                xs[v] = (low + c - origin) * column
                ys[v] = row_top + heights[tops[v]] / 2
                layer[v] = low + c
            row_top += row_h + opts.node_gap
    if focus is not None:
        ys -= ys[focus]

    boxes: dict[NodeId, Box] = {}
    layers: dict[NodeId, int] = {}
    for t, node in enumerate(tops):
        boxes[prep.ids[node]] = Box(float(xs[t]), float(ys[t]), widths[node], heights[node])
        layers[prep.ids[node]] = layer[t] - origin
    _place_children(prep, opts, boxes, heights, widths)
    for node, nid in enumerate(prep.ids):
        if nid not in layers:
            layers[nid] = layers[prep.ids[prep.top[node]]]
    reversed_pairs = frozenset((prep.ids[tops[a]], prep.ids[tops[b]]) for a, b in back)
    return Layout(
        boxes=MappingProxyType(boxes),
        layers=MappingProxyType(layers),
        reversed_edges=reversed_pairs,
        focus=focus_id,
        crossings=crossings,
        fingerprint=print_,
    )


def _sizes(prep: _Prepared, opts: LayoutOptions) -> tuple[list[float], list[float]]:
    """Box sizes: a leaf is a plain node (or a row when it is a child); a parent holds its
    children stacked under a header."""
    n = len(prep.ids)
    heights = [0.0] * n
    widths = [0.0] * n

    def visit(v: int, depth: int) -> None:
        width = max(opts.node_width - 2 * opts.padding * depth, opts.padding)
        widths[v] = width
        kids = prep.children.get(v)
        if not kids:
            heights[v] = opts.node_height if depth == 0 else opts.child_height
            return
        for k in kids:
            visit(k, depth + 1)
        inner = sum(heights[k] for k in kids) + opts.child_gap * (len(kids) - 1)
        heights[v] = opts.header_height + inner + opts.padding

    for t in prep.tops:
        if t not in prep.children:
            heights[t], widths[t] = opts.node_height, opts.node_width
        else:
            visit(t, 0)
    return heights, widths


def _place_children(
    prep: _Prepared,
    opts: LayoutOptions,
    boxes: dict[NodeId, Box],
    heights: list[float],
    widths: list[float],
) -> None:
    """Stack children inside their parents, one depth at a time; with ``reorder_children``,
    twice over, order each parent's children by the mean height of the nodes they are linked
    to in other top-level nodes (first in id order)."""
    if not prep.children:
        return
    ids = prep.ids
    n = len(ids)
    parent = np.array(prep.parent, np.int64)
    depth = np.zeros(n, np.int64)
    while True:
        deeper = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(deeper, depth):
            break
        depth = deeper
    h = np.array(heights)
    y = np.zeros(n)
    x = np.zeros(n)
    for t in prep.tops:
        box = boxes[ids[t]]
        x[t], y[t] = box.x, box.y
    levels = [np.flatnonzero(depth == d) for d in range(1, int(depth.max()) + 1)]

    def stack(groups: list[IntArray], rank: FloatArray) -> None:
        for kids in groups:
            order = kids[np.lexsort((kids, y[kids], rank[kids], parent[kids]))]
            p = parent[order]
            gaps = h[order] + opts.child_gap
            run = np.cumsum(gaps)
            starts = np.flatnonzero(np.concatenate(([True], p[1:] != p[:-1])))
            before = np.repeat(run[starts] - gaps[starts], np.diff(np.append(starts, len(order))))
            y[order] = y[p] - h[p] / 2 + opts.header_height + (run - before - gaps) + h[order] / 2
            x[order] = x[p]

    stack(levels, np.arange(n, dtype=np.float64))
    top = np.array(prep.top, np.int64)
    across = prep.edges[top[prep.edges[:, 0]] != top[prep.edges[:, 1]]]
    if opts.reorder_children and len(across):
        # column by column, left to right then right to left: each parent's children follow
        # the neighbours already placed on the side the pass comes from
        ea, eb = across[:, 0], across[:, 1]
        col = x[top]
        columns = np.unique(col[parent >= 0])
        for forward in (True, False):
            for c in columns if forward else columns[::-1]:
                done_a = col[ea] < c if forward else col[ea] > c
                done_b = col[eb] < c if forward else col[eb] > c
                use_a = (col[ea] == c) & done_b  # a is here, b already placed
                use_b = (col[eb] == c) & done_a
                total = np.bincount(ea[use_a], weights=y[eb[use_a]], minlength=n) + np.bincount(
                    eb[use_b], weights=y[ea[use_b]], minlength=n
                )
                count = np.bincount(ea[use_a], minlength=n) + np.bincount(eb[use_b], minlength=n)
                here = [kids[col[kids] == c] for kids in levels]
                stack(here, np.where(count > 0, total / np.maximum(count, 1), y))
    for g in np.flatnonzero(parent >= 0).tolist():
        boxes[ids[g]] = Box(float(x[g]), float(y[g]), widths[g], heights[g])


# --- cytoscape ---------------------------------------------------------------------------


def to_cytoscape(result: Layout, graph: LayoutGraph) -> list[dict[str, Any]]:
    """cytoscape.js elements for the ``preset`` layout: nodes (parents before their children,
    otherwise in the graph's order; ``data.parent`` set on children) then edges.

    Ids are strings (cytoscape's); an edge without an id gets ``source->target`` (``#2``,
    ``#3``... on repeats), one with an id gets ``edge:<id>`` since nodes and edges share
    cytoscape's id space. ``data`` carries the input's data, ``label``, the box
    ``width``/``height`` and the ``layer``; an edge turned around to break a cycle has
    ``data.reversed`` true (it is still drawn source to target).
    """
    parents = {n.id: n.parent for n in graph.nodes}
    depth: dict[NodeId, int] = {}
    top: dict[NodeId, NodeId] = {}
    for nid in parents:
        chain = [nid]
        while chain[-1] not in depth and parents[chain[-1]] is not None:
            chain.append(parents[chain[-1]])  # type: ignore[arg-type]
        last = chain.pop()
        d, root = (depth[last], top[last]) if last in depth else (0, last)
        depth[last], top[last] = d, root
        for k in reversed(chain):
            d += 1
            depth[k], top[k] = d, root
    boxes, layers = result.boxes, result.layers
    out: list[dict[str, Any]] = []
    for node in sorted(graph.nodes, key=lambda n: depth[n.id]):  # parents first, else as given
        box = boxes[node.id]
        data: dict[str, Any] = {
            **node.data,
            "id": str(node.id),
            "label": node.label,
            "width": box.width,
            "height": box.height,
            "layer": layers[node.id],
        }
        if node.parent is not None:
            data["parent"] = str(node.parent)
        position = {"x": round(box.x, 2), "y": round(box.y, 2)}
        out.append({"group": "nodes", "data": data, "position": position})
    turned = result.reversed_edges
    used: dict[str, int] = {}
    for edge in graph.edges:
        eid = f"{edge.source}->{edge.target}" if edge.id is None else f"edge:{edge.id}"
        seen = used[eid] = used.get(eid, 0) + 1
        if seen > 1:
            eid = f"{eid}#{seen}"
        data = {
            **edge.data,
            "id": eid,
            "source": str(edge.source),
            "target": str(edge.target),
            "reversed": bool(turned) and (top[edge.source], top[edge.target]) in turned,
        }
        out.append({"group": "edges", "data": data})
    return out


def _as_mapping(result: Any) -> Mapping[str, Any]:
    """The service's typed answer (``domain.lineage.LineageGraph``) as the mapping its JSON
    is; a mapping as it is."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        as_dict: dict[str, Any] = dataclasses.asdict(result)
        return as_dict
    mapping: Mapping[str, Any] = result
    return mapping


def lineage_elements(result: Mapping[str, Any] | Any) -> list[dict[str, Any]]:
    """cytoscape elements of ``services.lineage.lineage_graph``'s answer, focused on its root."""
    result = _as_mapping(result)
    graph = LayoutGraph.from_lineage(result)
    root = result.get("root")
    focus = root if root is not None and any(n.id == root for n in graph.nodes) else None
    return to_cytoscape(layout_cached(graph, focus), graph)
