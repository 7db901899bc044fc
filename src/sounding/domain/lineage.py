"""Lineage found in SQL: table sets, column edges and the problems met on the way.

Names are normalised: lower case, quotes removed, parts joined by ``.`` (``db.schema.table``).
File paths (``COPY ... FROM 's3://...'``, ``INSERT OVERWRITE DIRECTORY``) appear as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TransformKind(StrEnum):
    """How a source column reaches a target column.

    ``copy``: the value is carried unchanged (possibly renamed, through CTEs, subqueries, unions).
    ``transform``: an expression of the value (function, arithmetic, CAST, CASE, window shape).
    ``aggregate``: the value passes through an aggregate function (``SUM``, ``COUNT`` ...).
    ``window``: the column shapes a window function's result without being one of its values:
    it is in the ``PARTITION BY`` or ``ORDER BY`` of an ``OVER`` clause (OpenLineage's INDIRECT
    ``WINDOW`` subtype). ``ROW_NUMBER() OVER (PARTITION BY a ORDER BY b)`` has only window
    edges; in ``SUM(x) OVER (PARTITION BY a)``, ``x`` is ``aggregate`` and ``a`` is ``window``.
    ``filter``: the column only conditions the result (WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY)
    and is fanned out to every column of the target.

    ``copy``, ``transform`` and ``aggregate`` are direct edges, ``window`` and ``filter`` indirect.
    """

    COPY = "copy"
    TRANSFORM = "transform"
    AGGREGATE = "aggregate"
    WINDOW = "window"
    FILTER = "filter"

    @property
    def rank(self) -> int:
        """Distance from the source value: copy < transform < aggregate < window < filter."""
        return _RANKS[self]

    @property
    def direct(self) -> bool:
        """Whether the source column's values reach the target (not only shape or filter it)."""
        return self.rank <= _RANKS[TransformKind.AGGREGATE]

    def then(self, other: TransformKind) -> TransformKind:
        """The kind of a path that goes through ``self`` and then ``other``."""
        return self if self.rank >= other.rank else other


_RANKS = {
    TransformKind.COPY: 0,
    TransformKind.TRANSFORM: 1,
    TransformKind.AGGREGATE: 2,
    TransformKind.WINDOW: 3,
    TransformKind.FILTER: 4,
}


@dataclass(frozen=True, slots=True)
class ColumnEdge:
    """One source column feeding one target column.

    ``source_table`` is ``None`` when the column could not be tied to one table (an unqualified
    column over several tables of unknown shape). ``source_column``/``target_column`` is ``*``
    for wildcard lineage when the columns behind a ``*`` are unknown. ``confidence`` is 1.0 when
    every name was resolved through a schema or an explicit qualifier, lower when guessed.
    """

    source_table: str | None
    source_column: str
    target_table: str
    target_column: str
    kind: TransformKind = TransformKind.COPY
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_table": self.source_table,
            "source_column": self.source_column,
            "target_table": self.target_table,
            "target_column": self.target_column,
            "kind": self.kind.value,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A statement that could not be read; ``line``/``column`` are 1-based in the whole text."""

    statement_index: int
    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "statement_index": self.statement_index,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class StatementLineage:
    """Table-level facts of one statement of a script, before statements are combined."""

    index: int
    kind: str
    sql: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


@dataclass
class LineageResult:
    """Lineage of a whole SQL text (one statement or a script).

    Intermediate tables of a script (written, then read by a later statement) are neither
    sources nor targets; their columns are collapsed out of ``column_lineage``.
    """

    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    column_lineage: list[ColumnEdge] = field(default_factory=list)
    errors: list[ParseProblem] = field(default_factory=list)
    statements: list[StatementLineage] = field(default_factory=list)
    # dataset -> the paths inside it the SQL reads or writes (a Snowflake stage's files)
    locations: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "sources": sorted(self.sources),
            "targets": sorted(self.targets),
            "column_lineage": [edge.to_dict() for edge in self.column_lineage],
            "errors": [problem.to_dict() for problem in self.errors],
        }
        if self.locations:
            answer["locations"] = self.locations
        return answer


# --- the lineage of the catalog's assets, as services return it ---------------------------


@dataclass(frozen=True, slots=True)
class LineageNode:
    """An asset in a lineage graph; ``distance`` is its hops from the root (negative
    upstream)."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    parent_id: int | None
    owner: str | None
    criticality: str | None
    domain: str | None
    tags: tuple[str, ...]
    description: str | None
    distance: int


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """A stored edge: ``source`` (upstream node id) feeds ``target``."""

    id: int
    source: int
    target: int
    kind: str | None
    confidence: float | None
    origin: str


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """Nodes and edges around ``root``; ``truncated`` when the node cap was reached."""

    root: int
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class CriticalPath:
    """URNs from the root of an impact analysis to one of its most critical assets."""

    target: int
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Impact:
    """Everything downstream of ``root`` by distance, counts per distance, and paths to the
    most critical."""

    root: LineageNode
    total: int
    counts_by_distance: dict[int, int]
    items: tuple[LineageNode, ...]
    critical_paths: tuple[CriticalPath, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ManualEdge:
    """A manual edge just stored: ``level`` is table or column."""

    source: int
    target: int
    level: str
    origin: str
