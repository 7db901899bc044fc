"""Request and response bodies of ``/api/v1/quality``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.validation import RequestModel


class QualityRuleCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    asset: str = Field(description="The table, view or dataset (id or URN)")
    kind: str
    column: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None
    dimension: str | None = None
    severity: str | None = None
    description: str | None = None


class QualityRuleUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] | None = None
    name: str | None = None
    dimension: str | None = None
    severity: str | None = None
    description: str | None = None


class QualityRuleFile(RequestModel):
    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(description="A rule file (see docs/quality.md)")


class QualityRunCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    asset: str | None = Field(None, description="Only this table (id or URN)")


class QualitySuggestionsCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    asset: str | None = None


class QualityRulePublic(BaseModel):
    id: int
    asset_id: int
    name: str
    kind: str
    params: dict[str, Any] = Field(description="The kind's parameters (see docs/quality.md)")
    dimension: str
    severity: str
    status: str = Field(description="active, suggested or rejected")
    origin: str = Field(description="manual, file or suggestion")
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
    revision: int = Field(description="Increases with every change; the ETag is id.revision")


class QualityRulePage(BaseModel):
    items: list[QualityRulePublic]
    total: int
    next_cursor: str | None = None


class QualityRuleFileResult(BaseModel):
    source: str
    created: int
    updated: int
    unchanged: int
    rules: int


class QualitySuggestions(BaseModel):
    source: str
    tables_profiled: int
    suggested: int
    items: list[QualityRulePublic]


class QualityResultPublic(BaseModel):
    """One rule's outcome in one run; ``passed`` is null when the check errored."""

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
    observed: dict[str, Any] | None = Field(description="What the check measured")
    examples: list[dict[str, Any]] = Field(description="Failing values or rows (may be masked)")
    examples_masked: bool
    error: str | None
    created_at: datetime


class QualityResultPage(BaseModel):
    items: list[QualityResultPublic]
    total: int
    next_cursor: str | None = None


class QualityRunSummary(BaseModel):
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


class QualityRunPublic(QualityRunSummary):
    """A run with every result it produced."""

    results: list[QualityResultPublic]


class QualityRunPage(BaseModel):
    items: list[QualityRunSummary]
    total: int
    next_cursor: str | None = None


DimensionScores = dict[str, float]
"""Score per dimension (completeness, validity, ...) and ``overall``, 0..1; unscored ones absent."""


class QualityTableScore(BaseModel):
    urn: str
    qualified_name: str
    source: str
    schema_: str = Field(alias="schema", description="source:schema (or the source)")
    domain: str | None
    computed_at: datetime
    scores: DimensionScores

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class QualityRollup(BaseModel):
    name: str
    tables: int
    scores: DimensionScores


class QualityScores(BaseModel):
    scope: dict[str, Any] = Field(description='{"asset": urn}, {"source": ...}, {"all": true}')
    tables_in_scope: int
    tables_scored: int
    scores: DimensionScores
    tables: list[QualityTableScore]
    schemas: list[QualityRollup]
    sources: list[QualityRollup]
    domains: list[QualityRollup]


class QualityTrendPoint(BaseModel):
    date: str = Field(description="UTC day, YYYY-MM-DD")
    score: float
    tables: int


class QualityTrend(BaseModel):
    scope: dict[str, Any]
    dimension: str
    days: int
    points: list[QualityTrendPoint]
