"""The facts one statement contributes before the statements of a script are combined."""

from __future__ import annotations

from dataclasses import dataclass, field

from sounding.lineage.origins import Origins


@dataclass(frozen=True, slots=True)
class Flow:
    """Rows written into ``target``: each target column with the origins of its values, and
    the origins that only condition which rows are written."""

    target: str
    columns: list[tuple[str, Origins]]
    filters: Origins


@dataclass
class StatementFacts:
    kind: str
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    # (dataset, path inside it): where in a stage a statement reads or writes
    locations: list[tuple[str, str]] = field(default_factory=list)
