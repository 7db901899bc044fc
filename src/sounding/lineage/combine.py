"""Combine the statements of a script into one lineage.

Tables follow the convention of sqllineage: each statement adds edges from every table it reads
to every table it writes; a table written by one statement and read by a later one is
intermediate and drops out; a statement that only reads (a SELECT) marks its tables as sources,
one that only writes (CREATE TABLE, INSERT ... VALUES) its targets; a table that feeds itself is
both; DROP forgets a table no statement connected, RENAME relabels one.

Columns are chained the same way: an edge ends at a column nothing reads further, and starts
at a column nothing writes, so the columns of intermediate tables collapse out. The kind of a
chained edge is the strongest kind along it, its confidence the weakest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sounding.domain.lineage import ColumnEdge, TransformKind
from sounding.lineage.facts import StatementFacts
from sounding.lineage.resolve import STAR

Node = tuple[str | None, str]  # (table, column)
Label = tuple[TransformKind, float]


@dataclass
class TableGraph:
    nodes: set[str] = field(default_factory=set)
    edges: set[tuple[str, str]] = field(default_factory=set)
    source_only: set[str] = field(default_factory=set)
    target_only: set[str] = field(default_factory=set)

    def degree(self, node: str) -> int:
        return sum((a == node) + (b == node) for a, b in self.edges)

    def relabel(self, old: str, new: str) -> None:
        if old not in self.nodes:
            return
        self.nodes.discard(old)
        self.nodes.add(new)
        self.edges = {(new if a == old else a, new if b == old else b) for a, b in self.edges}
        self.edges.discard((new, new))
        for tagged in (self.source_only, self.target_only):
            if old in tagged:
                tagged.discard(old)
                tagged.add(new)
        if self.degree(new) == 0:
            self.remove(new)

    def remove(self, node: str) -> None:
        self.nodes.discard(node)
        self.source_only.discard(node)
        self.target_only.discard(node)

    def add(self, facts: StatementFacts) -> None:
        self.nodes.update(facts.reads, facts.writes)
        if facts.drops:
            for table in facts.drops:
                if table in self.nodes and self.degree(table) == 0:
                    self.remove(table)
        elif facts.renames:
            for old, new in facts.renames:
                self.relabel(old, new)
        elif facts.reads and not facts.writes:
            self.source_only.update(facts.reads)
        elif facts.writes and not facts.reads:
            self.target_only.update(facts.writes)
        else:
            self.edges.update((r, w) for r in facts.reads for w in facts.writes)

    def sources_and_targets(self) -> tuple[set[str], set[str]]:
        has_in = {b for _, b in self.edges}
        has_out = {a for a, _ in self.edges}
        loops = {a for a, b in self.edges if a == b}
        sources = ((has_out - has_in) | loops | self.source_only) & self.nodes
        targets = ((has_in - has_out) | loops | self.target_only) & self.nodes
        return sources, targets


def _better(new: Label, old: Label | None) -> bool:
    if old is None:
        return True
    return (new[0].rank, -new[1]) < (old[0].rank, -old[1])


@dataclass
class ColumnGraph:
    edges: dict[Node, dict[Node, Label]] = field(default_factory=lambda: defaultdict(dict))
    filters: list[tuple[Node, list[Node], Label]] = field(default_factory=list)
    _out: dict[Node, set[Node]] | None = None

    def add_edge(self, source: Node, target: Node, label: Label) -> None:
        if _better(label, self.edges[source].get(target)):
            self.edges[source][target] = label

    def add(self, facts: StatementFacts) -> None:
        for old, new in facts.renames:
            self._rename(old, new)
        for flow in facts.flows:
            targets: list[Node] = [(flow.target, name) for name, _ in flow.columns]
            for name, origins in flow.columns:
                for o in origins:
                    self.add_edge((o.table, o.column), (flow.target, name), (o.kind, o.confidence))
            for o in flow.filters:
                self.filters.append(((o.table, o.column), targets, (o.kind, o.confidence)))

    def _rename(self, old: str, new: str) -> None:
        def move(node: Node) -> Node:
            return (new, node[1]) if node[0] == old else node

        renamed: dict[Node, dict[Node, Label]] = defaultdict(dict)
        for source, targets in self.edges.items():
            for target, label in targets.items():
                renamed[move(source)][move(target)] = label
        self.edges = renamed
        self.filters = [(move(s), [move(t) for t in ts], lb) for s, ts, lb in self.filters]

    def _connect_stars(self) -> None:
        """``COUNT(*)`` over a table an earlier statement wrote depends on what it wrote."""
        written: dict[str | None, set[Node]] = defaultdict(set)
        for targets in list(self.edges.values()):
            for target in targets:
                written[target[0]].add(target)
        for star in [n for n in list(self.edges) if n[1] == STAR and n not in written[n[0]]]:
            for column in written[star[0]]:
                self.add_edge(column, star, (TransformKind.COPY, 1.0))

    def lineage(self) -> list[ColumnEdge]:
        self._connect_stars()
        into: dict[Node, set[Node]] = defaultdict(set)
        for source, outgoing in self.edges.items():
            for target in outgoing:
                if target != source:
                    into[target].add(source)
        loops = {s for s, ts in self.edges.items() if s in ts}
        nodes = set(self.edges) | set(into)
        roots = {n for n in nodes if not into[n]} | loops
        leaves = {n for n in nodes if not (set(self.edges.get(n, {})) - {n})} | loops
        found: dict[tuple[Node, Node], Label] = {}
        for root in roots:
            for leaf, label in self._reach(root, leaves).items():
                found[(root, leaf)] = label
        below: dict[Node, frozenset[Node]] = {}
        above: dict[Node, frozenset[Node]] = {}
        for source, targets, label in self.filters:
            filtered = (TransformKind.FILTER, label[1])
            for root in _closure(source, into, above):
                for target in targets:
                    for leaf in _closure(target, self._outgoing(), below, leaves):
                        found.setdefault((root, leaf), filtered)
        return _edges(found)

    def _reach(self, root: Node, leaves: set[Node]) -> dict[Node, Label]:
        """Best label of a path from ``root`` to each leaf it reaches."""
        best: dict[Node, Label] = {root: (TransformKind.COPY, 1.0)}
        stack = [root]
        reached: dict[Node, Label] = {}
        while stack:
            node = stack.pop()
            kind, confidence = best[node]
            for target, (edge_kind, edge_conf) in self.edges.get(node, {}).items():
                label = (kind.then(edge_kind), min(confidence, edge_conf))
                if target in leaves and _better(label, reached.get(target)):
                    reached[target] = label
                if target != node and _better(label, best.get(target)):
                    best[target] = label
                    stack.append(target)
        return reached

    def _outgoing(self) -> dict[Node, set[Node]]:
        if self._out is None:
            self._out = {n: set(ts) - {n} for n, ts in self.edges.items()}
        return self._out


def _closure(
    node: Node,
    links: dict[Node, set[Node]],
    memo: dict[Node, frozenset[Node]],
    stops: set[Node] | None = None,
) -> frozenset[Node]:
    """The ends reached from ``node`` along ``links``: nodes without links, or in ``stops``.

    Memoised for every node visited (a script is a long chain of such walks); on a cycle a
    node sees the ends found so far.
    """
    stack: list[tuple[Node, bool]] = [(node, False)]
    open_: set[Node] = set()
    while stack:
        current, expanded = stack.pop()
        if current in memo:
            continue
        nexts = links.get(current, set()) - {current}
        if expanded:
            memo[current] = frozenset().union(*(memo.get(n, frozenset()) for n in nexts))
            open_.discard(current)
        elif not nexts or (stops is not None and current in stops):
            memo[current] = frozenset({current})
        else:
            open_.add(current)
            stack.append((current, True))
            stack.extend((n, False) for n in nexts if n not in memo and n not in open_)
    return memo[node]


def _edges(found: dict[tuple[Node, Node], Label]) -> list[ColumnEdge]:
    edges = [
        ColumnEdge(s[0], s[1], str(t[0]), t[1], kind, round(confidence, 3))
        for (s, t), (kind, confidence) in found.items()
    ]
    return sorted(
        edges,
        key=lambda e: (e.target_table, e.target_column, e.source_table or "", e.source_column),
    )


def combine(statements: Iterable[StatementFacts]) -> tuple[set[str], set[str], list[ColumnEdge]]:
    tables, columns = TableGraph(), ColumnGraph()
    for facts in statements:
        tables.add(facts)
        columns.add(facts)
    sources, targets = tables.sources_and_targets()
    return sources, targets, columns.lineage()
