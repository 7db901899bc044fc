"""What the quality services hand out: stored rules and the outcome of rule files and
suggestions, as typed records. No I/O.

The API validates them into ``api/schemas/quality.py`` by attribute; the CLI prints them.
``params`` stays a mapping: each rule kind has its own parameters (see ``domain.quality``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class QualityRule:
    """A stored rule with the table it checks (``asset_urn``, ``qualified_name``, ``source``)."""

    id: int
    asset_id: int
    name: str
    kind: str
    params: dict[str, Any]
    dimension: str
    severity: str
    status: str
    origin: str
    description: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    column: str | None
    asset_urn: str | None
    qualified_name: str | None
    source: str | None
    revision: int


@dataclass(frozen=True, slots=True)
class RuleFileResult:
    """What applying a rule file did to the rules of ``source``."""

    source: str
    created: int
    updated: int
    unchanged: int
    rules: int


@dataclass(frozen=True, slots=True)
class RuleSuggestions:
    """Rules suggested from the newest profiles of a source's tables."""

    source: str
    tables_profiled: int
    suggested: int
    items: list[QualityRule]


@dataclass(frozen=True, slots=True)
class QualityResult:
    """One rule's outcome in a run, as the caller may see it (``examples_masked`` when
    values of sensitive columns were masked)."""

    id: int
    run_id: int
    rule_id: int
    rule: str | None
    kind: str | None
    column: str | None
    dimension: str | None
    severity: str | None
    asset_urn: str | None
    qualified_name: str | None
    passed: bool | None
    failing_count: int | None
    total_count: int | None
    ratio: float | None
    observed: dict[str, Any] | None
    examples: list[dict[str, Any]]
    examples_masked: bool
    error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QualityRun:
    """A run of the active rules of a source (or of one table), without its results."""

    id: int
    source: str | None
    asset_urn: str | None
    status: str
    triggered_by: str | None
    started_at: datetime | None
    finished_at: datetime | None
    rules_total: int | None
    rules_passed: int | None
    rules_failed: int | None
    rules_errored: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class QualityRunDetail(QualityRun):
    """A run with the result of each rule it checked."""

    results: list[QualityResult] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TableScore:
    """A table's newest scores, per dimension and ``overall`` (0..1; unscored ones absent)."""

    urn: str
    qualified_name: str
    source: str
    schema: str  # source:schema (or the source)
    domain: str | None
    computed_at: datetime
    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class ScoreRollup:
    """The mean scores of the scored tables of one schema, source or domain."""

    name: str
    tables: int
    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class ScopeScores:
    """A scope's score and its roll-ups (``GET /api/v1/quality/scores``)."""

    scope: dict[str, Any]  # {"asset": urn}, {"source": name}, {"domain": name}, {"all": True}
    tables_in_scope: int
    tables_scored: int
    scores: dict[str, float]
    tables: tuple[TableScore, ...]
    schemas: tuple[ScoreRollup, ...]
    sources: tuple[ScoreRollup, ...]
    domains: tuple[ScoreRollup, ...]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    date: str  # UTC day, YYYY-MM-DD
    score: float
    tables: int


@dataclass(frozen=True, slots=True)
class ScopeTrend:
    """One point per day a table of the scope had a score (``GET .../scores/trend``)."""

    scope: dict[str, Any]
    dimension: str
    days: int
    points: tuple[TrendPoint, ...]
