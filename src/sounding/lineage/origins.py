"""What a resolved column is made of: the base-table columns it depends on, and how."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sounding.domain.lineage import TransformKind

COPY, TRANSFORM, AGGREGATE, WINDOW, FILTER = (
    TransformKind.COPY,
    TransformKind.TRANSFORM,
    TransformKind.AGGREGATE,
    TransformKind.WINDOW,
    TransformKind.FILTER,
)
STAR = "*"
# Confidence of a guess: the column's table is known but not that it has the column ...
UNVERIFIED = 0.9
# ... the only table in scope is assumed, or a star of unknown shape is kept ...
ASSUMED = 0.8
# ... one of several tables is picked because the others are known not to have it ...
PICKED = 0.6
# ... several tables could have it, or none could be found.
UNRESOLVED = 0.3


@dataclass(frozen=True, slots=True)
class Origin:
    """A base-table column an output depends on, and how."""

    table: str | None
    column: str
    kind: TransformKind
    confidence: float

    def through(self, kind: TransformKind, confidence: float = 1.0) -> Origin:
        return Origin(
            self.table, self.column, self.kind.then(kind), min(self.confidence, confidence)
        )


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    origins: frozenset[Origin]

    @property
    def is_open_star(self) -> bool:
        return self.name == STAR


Origins = frozenset[Origin]
NONE: Origins = frozenset()


def through(origins: Iterable[Origin], kind: TransformKind, confidence: float = 1.0) -> Origins:
    return frozenset(origin.through(kind, confidence) for origin in origins)
