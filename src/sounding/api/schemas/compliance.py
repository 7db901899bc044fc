"""Request and response bodies of ``/api/v1/compliance``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.validation import RequestModel


class EvaluationCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, description="Only this source (default: every source)")
    frameworks: list[str] | None = Field(None, description="Framework ids (default: all)")


class FindingAccept(RequestModel):
    model_config = ConfigDict(extra="forbid")
    justification: str = Field(description="Why the risk is acceptable (at least 10 characters)")


class FindingDecision(RequestModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None


class FrameworkSummary(BaseModel):
    id: str
    name: str
    version: str
    tag: str = Field(description="The tag evaluations put on affected tables")
    description: str
    url: str
    origin: str = Field(description="builtin, file or uploaded")
    requirements: int = Field(description="How many requirements it has")


class FrameworkList(BaseModel):
    items: list[FrameworkSummary]
    total: int


class RequirementScope(BaseModel):
    labels: list[str]
    tags: list[str]
    scope: str


class RequirementPublic(BaseModel):
    id: str
    title: str
    reference: str
    description: str
    severity: str
    applies_to: RequirementScope
    controls: list[str] = Field(description="Each control as 'name' or 'name: argument'")


class FrameworkPublic(BaseModel):
    id: str
    name: str
    version: str
    tag: str
    description: str
    url: str
    origin: str
    requirements: list[RequirementPublic]


class EvaluationPublic(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    actor: str
    source: str | None
    frameworks: list[str]
    assets_in_scope: int
    opened: int
    reopened: int
    resolved: int
    open_total: int
    summary: dict[str, Any] = Field(description="Per framework: scope, failing, by severity")


class EvaluationResult(EvaluationPublic):
    tagged_tables: int
    warnings: list[str]


class EvaluationPage(BaseModel):
    items: list[EvaluationPublic]
    total: int
    next_cursor: str | None = None


class FindingPublic(BaseModel):
    id: int
    framework: str
    requirement_id: str
    requirement: str | None = Field(description="The requirement's title (null: framework gone)")
    reference: str | None
    severity: str
    status: str = Field(description="open, accepted or resolved")
    asset_id: int
    urn: str
    qualified_name: str
    asset_type: str
    source: str
    evidence: dict[str, Any]
    justification: str | None
    decided_by: str | None
    decided_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    acknowledged_by: str | None = Field(
        default=None, description="Who acknowledged the open finding (owns the follow-up)"
    )
    acknowledged_at: datetime | None = None
    revision: int = Field(description="Increases with every change; the ETag is id.revision")


class FindingPage(BaseModel):
    items: list[FindingPublic]
    total: int
    next_cursor: str | None = None


class FindingEventPublic(BaseModel):
    id: int
    finding_id: int
    event: str = Field(description="opened, acknowledged, accepted, resolved or reopened")
    from_status: str | None
    to_status: str | None
    origin: str = Field(description="evaluation, manual or migration")
    actor: str | None
    note: str | None
    at: datetime


class FindingHistory(BaseModel):
    finding_id: int
    items: list[FindingEventPublic]
    total: int
