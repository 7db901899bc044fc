"""The lineage explorer of the web UI: a focus asset's neighbourhood, laid out, and its impact.

``explore`` walks the lineage around a focus asset (upstream and downstream, ``depth`` hops,
at table or column level), expands the nodes the user clicked one hop each way, and lays the
result out on the server (``sounding.lineage.layout``: fixed positions for cytoscape.js's
``preset`` layout). Guardrails, so a hub table never floods the browser:

- a capped view (any depth but the whole graph) adds at most :data:`EXPANSION_LIMIT` new
  nodes per hop and per direction (per expansion for a clicked node); the rest of that layer
  is returned as ``overflow`` rows (shown as a table, each one a link to focus on it), and
  expanding the node they hang from (again) brings the next ones (``more`` lists those
  nodes). At column level the limit counts tables (a table comes with all the columns
  reached in it);
- the whole-graph view (``depth=None``) follows edges both ways from the focus until nothing
  new is found, up to :data:`WHOLE_LIMIT` nodes (``truncated`` says when it stopped there).

``impact`` lists every asset downstream of the focus (any depth) with its owner (a column
has its table's owner when it has none of its own) and the path that reaches it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.assets import AssetType
from sounding.domain.auth import Permission, Principal
from sounding.errors import InvalidInputError, NotFoundError
from sounding.lineage.graph import walk
from sounding.lineage.layout import (
    Box,
    LayoutEdge,
    LayoutGraph,
    LayoutNode,
    LayoutOptions,
    NodeId,
    layout_cached,
)
from sounding.services import catalog
from sounding.services.context import Context
from sounding.services.gcpause import paused_gc
from sounding.store.repos import lineage as repo
from sounding.store.tables import assets, sources
from sounding.store.tables_lineage import lineage_edges

EXPANSION_LIMIT = 200
WHOLE_LIMIT = 10_000
IMPACT_LIMIT = 20_000
MAX_DEPTH = 20
MAX_EXPANSIONS = 100
OVERFLOW_SHOWN = 1000
LEVELS = ("table", "column")
OBJECTS = (AssetType.TABLE.value, AssetType.VIEW.value, AssetType.DATASET.value)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ExplorerNode:
    """An asset as the explorer shows it. ``distance`` is signed (upstream negative, the focus
    0); ``None`` for a node of the whole graph that is neither upstream nor downstream."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    parent_id: int | None
    owner: str | None
    criticality: str | None
    distance: int | None = None

    @property
    def direction(self) -> str:
        if self.distance is None:
            return "related"
        if self.distance == 0:
            return "focus"
        return "upstream" if self.distance < 0 else "downstream"


@dataclass(frozen=True, slots=True)
class ExplorerEdge:
    id: int
    source: int
    target: int


@dataclass(frozen=True, slots=True)
class OverflowRow:
    """A neighbour left out by the per-hop limit: ``via`` is the drawn node it hangs from."""

    node: ExplorerNode
    via: ExplorerNode
    direction: str


@dataclass
class ExplorerGraph:
    """What the explorer draws. ``focus`` is the asset asked for; at column level ``tables``
    are the tables drawn around the columns (compound nodes)."""

    focus: ExplorerNode
    level: str
    depth: int | None
    nodes: list[ExplorerNode]
    edges: list[ExplorerEdge]
    tables: list[ExplorerNode] = field(default_factory=list)
    expanded: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)
    overflow: list[OverflowRow] = field(default_factory=list)
    overflow_total: int = 0
    more: list[int] = field(default_factory=list)
    truncated: bool = False
    elements: list[dict[str, Any]] = field(default_factory=list)
    layout_ms: float = 0.0

    @property
    def whole(self) -> bool:
        return self.depth is None

    @property
    def layout_focus(self) -> int:
        return self.focus.id


@dataclass(frozen=True, slots=True)
class ImpactRow:
    node: ExplorerNode
    distance: int
    owner: str | None
    table: str | None
    path: tuple[int, ...]


@dataclass
class Impact:
    focus: ExplorerNode
    level: str
    rows: list[ImpactRow]
    truncated: bool

    @property
    def total(self) -> int:
        return len(self.rows)

    def owners(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.owner or ""] = counts.get(row.owner or "", 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True, slots=True)
class PickerItem:
    id: int
    urn: str
    qualified_name: str
    type: str
    source: str
    edges: int


# --- rows ----------------------------------------------------------------------------------


_LEAN = (
    assets.c.id,
    assets.c.urn,
    assets.c.name,
    assets.c.qualified_name,
    assets.c.type,
    assets.c.parent_id,
    assets.c.owner,
    assets.c.criticality,
    sources.c.name.label("source"),
)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _load(conn: Connection, ids: Iterable[int]) -> dict[int, sa.Row[Any]]:
    """The live assets among ``ids``, with only what the explorer shows."""
    wanted = sorted(set(ids))
    out: dict[int, sa.Row[Any]] = {}
    for chunk in _chunks(wanted):
        query = (
            sa.select(*_LEAN)
            .join(sources, sources.c.id == assets.c.source_id)
            .where(assets.c.id.in_(chunk), assets.c.deleted_at.is_(None))
        )
        out.update({r.id: r for r in conn.execute(query)})
    return out


def _node(row: sa.Row[Any], distance: int | None) -> ExplorerNode:
    return ExplorerNode(
        id=row.id,
        urn=row.urn,
        name=row.name,
        qualified_name=row.qualified_name,
        type=row.type,
        source=row.source,
        parent_id=row.parent_id,
        owner=row.owner,
        criticality=row.criticality,
        distance=distance,
    )


def _columns_of(conn: Connection, table_ids: Sequence[int]) -> list[int]:
    out: list[int] = []
    for chunk in _chunks(list(table_ids)):
        query = (
            sa.select(assets.c.id)
            .where(assets.c.parent_id.in_(chunk), assets.c.type == AssetType.COLUMN.value)
            .where(assets.c.deleted_at.is_(None))
            .order_by(assets.c.parent_id, assets.c.ordinal, assets.c.id)
        )
        out += [r.id for r in conn.execute(query)]
    return out


Edge = tuple[int, int, int]  # (id, source, target)
_EDGE_CHUNK = 1000


def _neighbours(conn: Connection, ids: Sequence[int], direction: str, level: str) -> list[Edge]:
    """Edges leaving (downstream) or entering (upstream) ``ids`` at ``level`` whose other end
    is a live asset, as plain tuples: the whole graph reads thousands of them."""
    near, far = (
        (lineage_edges.c.source_id, lineage_edges.c.target_id)
        if direction == "downstream"
        else (lineage_edges.c.target_id, lineage_edges.c.source_id)
    )
    far_asset = assets.alias("far_asset")
    out: list[Edge] = []
    for i in range(0, len(ids), _EDGE_CHUNK):
        query = (
            sa.select(lineage_edges.c.id, lineage_edges.c.source_id, lineage_edges.c.target_id)
            .join(far_asset, far_asset.c.id == far)
            .where(near.in_(ids[i : i + _EDGE_CHUNK]), lineage_edges.c.level == level)
            .where(far_asset.c.deleted_at.is_(None))
        )
        out += [(r[0], r[1], r[2]) for r in conn.execute(query)]
    return out


def _check(level: str, depth: int | None) -> None:
    if level not in LEVELS:
        raise InvalidInputError("level must be table or column", field="level")
    if depth is not None and not 1 <= depth <= MAX_DEPTH:
        raise InvalidInputError(
            f"depth must be between 1 and {MAX_DEPTH}, or the whole graph", field="depth"
        )


def _focus(ctx: Context, actor: Principal, ref: str, level: str) -> tuple[ExplorerNode, list[int]]:
    """The focus asset and the ids the walk starts from: the asset itself at table level (a
    column's table), its columns at column level (a column itself)."""
    asset = catalog.get_asset(ctx, actor, ref)
    target = asset.id
    if level == "table" and asset.type == AssetType.COLUMN.value and asset.parent_id:
        target = asset.parent_id
    with ctx.db.read() as conn:
        row = _load(conn, [target]).get(target) or _load(conn, [asset.id]).get(asset.id)
        if row is None:  # the asset page still shows a removed asset; its lineage is gone
            raise NotFoundError(
                f"{asset.qualified_name} was removed from the catalog by a later scan: it has "
                "no lineage to explore; search for the asset that replaced it",
                asset=ref,
            )
        if level == "column" and row.type != AssetType.COLUMN.value:
            start = _columns_of(conn, [row.id])
        else:
            start = [row.id]
    return _node(row, 0), start


# --- the walk ------------------------------------------------------------------------------


class _Builder:
    """The nodes and edges found so far, and one capped hop at a time."""

    def __init__(self, conn: Connection, level: str) -> None:
        self.conn = conn
        self.level = level
        self.nodes: dict[int, ExplorerNode] = {}
        self.edges: dict[int, ExplorerEdge] = {}
        self.left_out: dict[int, OverflowRow] = {}

    def add(self, rows: dict[int, sa.Row[Any]], ids: Iterable[int], distance: int | None) -> None:
        for i in ids:
            if i not in self.nodes and i in rows:
                self.nodes[i] = _node(rows[i], distance)

    def edge(self, e: Edge) -> None:
        if e[1] in self.nodes and e[2] in self.nodes and e[0] not in self.edges:
            self.edges[e[0]] = ExplorerEdge(*e)

    def hop(self, frontier: list[int], direction: str, limit: int) -> list[int]:
        """One step ``direction`` from ``frontier``: at most ``limit`` new nodes (tables at
        column level) come in, by name; the rest are left out (``overflow``)."""
        if not frontier:
            return []
        found = _neighbours(self.conn, frontier, direction, self.level)
        far, near = (2, 1) if direction == "downstream" else (1, 2)
        rows = _load(self.conn, {e[far] for e in found if e[far] not in self.nodes})
        sign = 1 if direction == "downstream" else -1
        via = {e[far]: self.nodes[e[near]] for e in found if e[near] in self.nodes}

        def distance(i: int) -> int | None:
            d = via[i].distance
            return None if d is None else d + sign

        admitted: list[int] = []
        groups: set[int] = set()
        for i in sorted(rows, key=lambda i: (rows[i].qualified_name, i)):
            row = rows[i]
            group = row.parent_id if self.level == "column" and row.parent_id else row.id
            if group in groups or len(groups) < limit:
                groups.add(group)
                admitted.append(i)
                self.nodes[i] = _node(row, distance(i))
            elif i not in self.left_out:
                self.left_out[i] = OverflowRow(_node(row, distance(i)), via[i], direction)
        for e in found:
            self.edge(e)
        return admitted

    def overflow(self) -> list[OverflowRow]:
        """What was left out and is still not drawn, nearest the focus first."""
        rows = [r for i, r in self.left_out.items() if i not in self.nodes]
        return sorted(
            rows,
            key=lambda r: (
                abs(r.node.distance) if r.node.distance is not None else MAX_DEPTH + 1,
                r.node.qualified_name,
                r.node.id,
            ),
        )

    def induced(self) -> None:
        """Every edge between two drawn nodes, also those no hop went through."""
        ids = list(self.nodes)
        for e in _neighbours(self.conn, ids, "downstream", self.level):
            self.edge(e)

    def whole(self, start: list[int], limit: int) -> bool:
        """Everything connected to ``start`` (edges followed both ways), up to ``limit``
        nodes; true when it stopped at the limit."""
        seen = set(self.nodes)
        frontier = [i for i in start if i in self.nodes]
        found_edges: dict[int, Edge] = {}
        truncated = False
        while frontier and not truncated:
            nxt: list[int] = []
            for direction in ("upstream", "downstream"):
                far = 2 if direction == "downstream" else 1
                for e in _neighbours(self.conn, frontier, direction, self.level):
                    found_edges[e[0]] = e
                    node = e[far]
                    if node in seen:
                        continue
                    if len(seen) >= limit:
                        truncated = True
                        continue
                    seen.add(node)
                    nxt.append(node)
            frontier = nxt
        rows = _load(self.conn, seen - set(self.nodes))
        distance = _signed_distances(start, found_edges.values())
        for i, row in rows.items():
            self.nodes[i] = _node(row, distance.get(i))
        for e in found_edges.values():
            self.edge(e)
        return truncated


def _signed_distances(start: Sequence[int], edges: Iterable[Edge]) -> dict[int, int]:
    """Hops from ``start`` along edges (downstream, positive) and against them (upstream,
    negative); a node that is both keeps the nearer, downstream on a tie."""
    succ: dict[int, list[int]] = {}
    pred: dict[int, list[int]] = {}
    for _, a, b in edges:
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    out: dict[int, int] = dict.fromkeys(start, 0)
    for links, sign in ((succ, 1), (pred, -1)):
        hops = dict.fromkeys(start, 0)
        queue = deque(start)
        while queue:
            v = queue.popleft()
            for w in links.get(v, ()):
                if w not in hops:
                    hops[w] = hops[v] + 1
                    queue.append(w)
                    if w not in out or abs(out[w]) > hops[w]:
                        out[w] = sign * hops[w]
    return out


def explore(
    ctx: Context,
    actor: Principal,
    ref: str,
    *,
    depth: int | None = 1,
    level: str = "table",
    expand: Sequence[int] = (),
    limit: int = EXPANSION_LIMIT,
    whole_limit: int = WHOLE_LIMIT,
) -> ExplorerGraph:
    """The focus's lineage ``depth`` hops each way (``None``: the whole connected graph),
    each node of ``expand`` expanded one hop each way in turn, laid out."""
    actor.require(Permission.CATALOG_READ)
    _check(level, depth)
    if len(expand) > MAX_EXPANSIONS:
        raise InvalidInputError(
            f"At most {MAX_EXPANSIONS} expanded nodes; focus on one of them instead",
            field="expand",
        )
    focus, start = _focus(ctx, actor, ref, level)
    truncated = False
    with paused_gc(), ctx.db.read() as conn:  # thousands of small acyclic objects
        build = _Builder(conn, level)
        build.add(_load(conn, start), start, 0)
        if level == "table":
            build.nodes.setdefault(focus.id, focus)
        if depth is None:
            truncated = build.whole(start, whole_limit)
        else:
            for direction in ("upstream", "downstream"):
                frontier = [i for i in start if i in build.nodes]
                for _ in range(depth):
                    frontier = build.hop(frontier, direction, limit)
                    if not frontier:
                        break
        expanded: list[int] = []
        added: list[int] = []
        for node in expand:  # a node expanded again brings the next neighbours left out
            before = set(build.nodes)
            if node in build.nodes:
                begin = [node]
            elif level == "column":  # a table drawn around its columns: all its columns
                begin = _columns_of(conn, [node])
                inside = [n for n in build.nodes.values() if n.parent_id == node]
                if not inside:
                    continue  # not drawn (the focus or depth changed): nothing to expand
                build.add(_load(conn, begin), begin, inside[0].distance)
                begin = [i for i in begin if i in build.nodes]
            else:
                continue
            for direction in ("upstream", "downstream"):
                build.hop(begin, direction, limit)
            expanded.append(node)
            added = sorted(set(build.nodes) - before)
        if depth is not None:
            build.induced()
        tables: list[ExplorerNode] = []
        if level == "column":
            parents = {n.parent_id for n in build.nodes.values() if n.parent_id is not None}
            tables = [_node(r, None) for r in _load(conn, parents).values()]
    overflow = build.overflow()
    graph = ExplorerGraph(
        focus=focus,
        level=level,
        depth=depth,
        nodes=sorted(build.nodes.values(), key=lambda n: n.id),
        edges=sorted(build.edges.values(), key=lambda e: e.id),
        tables=sorted(tables, key=lambda n: n.id),
        expanded=expanded,
        added=added,
        overflow=overflow[:OVERFLOW_SHOWN],
        overflow_total=len(overflow),
        more=sorted({r.via.id for r in overflow}),
        truncated=truncated,
    )
    started = time.perf_counter()
    with paused_gc():
        graph.elements = _elements(graph)
    graph.layout_ms = round((time.perf_counter() - started) * 1000, 1)
    return graph


_OPTIONS = LayoutOptions()
_COLUMN = AssetType.COLUMN.value


def _element(
    node: ExplorerNode, kind: str, box: Box, column_level: bool, parent: int | None
) -> dict[str, Any]:
    """A cytoscape node, lean (the whole graph sends 10,000 of them): sizes only when not the
    default (a column inside its table), ``qn`` only when the label is not the full name."""
    data: dict[str, Any] = {
        "id": str(node.id),
        "label": node.name if column_level and node.type == _COLUMN else node.qualified_name,
        "kind": kind,
        "type": node.type,
    }
    if column_level:
        data["qn"] = node.qualified_name
    if node.owner:
        data["owner"] = node.owner
    if node.distance is not None:
        data["distance"] = node.distance
    if parent is not None:
        data["parent"] = str(parent)
        data["w"], data["h"] = box.width, box.height
    return {
        "group": "nodes",
        "data": data,
        "position": {"x": round(box.x, 1), "y": round(box.y, 1)},
    }


def _parents(graph: ExplorerGraph) -> dict[int, int | None]:
    table_ids = {t.id for t in graph.tables}
    return {n.id: n.parent_id if n.parent_id in table_ids else None for n in graph.nodes}


def lay_out(graph: ExplorerGraph) -> Mapping[NodeId, Box]:
    """Every node's box (the server layout, cached per graph): tables hold their columns."""
    drawn = {n.id for n in graph.nodes}
    parent = _parents(graph)
    laid = LayoutGraph.build(
        [LayoutNode(t.id) for t in graph.tables if t.id not in drawn]
        + [LayoutNode(n.id, "", parent[n.id]) for n in graph.nodes],
        [LayoutEdge(e.source, e.target, e.id) for e in graph.edges],
    )
    tables = {t.id for t in graph.tables}
    focus = graph.focus.id if graph.focus.id in drawn or graph.focus.id in tables else None
    return layout_cached(laid, focus, _OPTIONS).boxes


def _elements(graph: ExplorerGraph) -> list[dict[str, Any]]:
    """cytoscape elements at fixed positions: tables (parents) first, then nodes, then
    edges."""
    boxes = lay_out(graph)
    drawn = {n.id for n in graph.nodes}
    parent = _parents(graph)
    column_level = graph.level == "column"
    out = [
        _element(t, "focus" if t.id == graph.focus.id else "table", boxes[t.id], column_level, None)
        for t in graph.tables
        if t.id not in drawn
    ]
    out += [_element(n, n.direction, boxes[n.id], column_level, parent[n.id]) for n in graph.nodes]
    out += [
        {
            "group": "edges",
            "data": {"id": f"e{e.id}", "source": str(e.source), "target": str(e.target)},
        }
        for e in graph.edges
    ]
    return out


# --- impact --------------------------------------------------------------------------------


def impact(ctx: Context, actor: Principal, ref: str, level: str = "table") -> Impact:
    """Every asset downstream of the focus, nearest first, with its owner and the path from
    the focus (asset ids); at column level downstream columns, with their table."""
    actor.require(Permission.CATALOG_READ)
    _check(level, 1)
    focus, start = _focus(ctx, actor, ref, level)
    with ctx.db.read() as conn:
        result = walk(
            start,
            lambda frontier: repo.neighbours(conn, frontier, "downstream", level),
            "downstream",
            MAX_DEPTH,
            IMPACT_LIMIT,
        )
        reached = [i for i, d in result.distance.items() if d > 0]
        rows = _load(conn, reached)
        tables: dict[int, sa.Row[Any]] = {}
        if level == "column":
            tables = _load(conn, {r.parent_id for r in rows.values() if r.parent_id})
    out: list[ImpactRow] = []
    for i, row in rows.items():
        table = tables.get(row.parent_id) if row.parent_id is not None else None
        d = result.distance[i]
        out.append(
            ImpactRow(
                node=_node(row, d),
                distance=d,
                owner=row.owner or (table.owner if table is not None else None),
                table=table.qualified_name if table is not None else None,
                path=tuple(result.path_to(i)),
            )
        )
    out.sort(key=lambda r: (r.distance, r.node.qualified_name, r.node.id))
    return Impact(focus=focus, level=level, rows=out, truncated=result.truncated)


# --- the picker ----------------------------------------------------------------------------


def find_assets(ctx: Context, actor: Principal, q: str, limit: int = 20) -> list[PickerItem]:
    """Tables, views, datasets and columns whose name matches ``q``, with how many lineage
    edges each has; without ``q``, the objects with the most table-level lineage."""
    actor.require(Permission.CATALOG_READ)
    limit = max(1, min(limit, 100))

    def edges_at(end: sa.Column[Any]) -> sa.ScalarSelect[Any]:
        return (
            sa.select(sa.func.count())
            .select_from(lineage_edges)
            .where(end == assets.c.id)
            .scalar_subquery()
        )

    count = edges_at(lineage_edges.c.source_id) + edges_at(lineage_edges.c.target_id)
    query = (
        sa.select(
            assets.c.id,
            assets.c.urn,
            assets.c.qualified_name,
            assets.c.type,
            sources.c.name.label("source"),
            count.label("edges"),
        )
        .join(sources, sources.c.id == assets.c.source_id)
        .where(assets.c.deleted_at.is_(None))
    )
    needle = q.strip().lower()
    if needle:
        raw = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            assets.c.type.in_((*OBJECTS, AssetType.COLUMN.value)),
            sa.or_(
                sa.func.lower(assets.c.name).like(raw + "%", escape="\\"),
                sa.func.lower(assets.c.qualified_name).like("%" + raw + "%", escape="\\"),
            ),
        )
        # exact names first, then objects before columns, then by name
        query = query.order_by(
            (sa.func.lower(assets.c.name) != needle),
            (assets.c.type == AssetType.COLUMN.value),
            assets.c.qualified_name,
            assets.c.id,
        )
    else:
        linked = (
            sa.select(lineage_edges.c.source_id.label("id"))
            .where(lineage_edges.c.level == "table")
            .union(sa.select(lineage_edges.c.target_id).where(lineage_edges.c.level == "table"))
        )
        query = query.where(assets.c.type.in_(OBJECTS), assets.c.id.in_(linked)).order_by(
            count.desc(), assets.c.qualified_name, assets.c.id
        )
    with ctx.db.read() as conn:
        found = conn.execute(query.limit(limit)).all()
    return [
        PickerItem(r.id, r.urn, r.qualified_name, r.type, r.source, int(r.edges)) for r in found
    ]
