"""What the compliance services hand out: findings and their history, as typed records.
No I/O.

The API validates them into ``api/schemas/compliance.py`` by attribute; the CLI prints them.
``evidence`` stays a mapping: each control records what it saw in its own shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """An asset failing one requirement of a framework; ``requirement`` and ``reference``
    are None when the framework is gone."""

    id: int
    framework: str
    requirement_id: str
    requirement: str | None
    reference: str | None
    severity: str
    status: str
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
    acknowledged_by: str | None  # an open finding seen by a steward who owns the follow-up
    acknowledged_at: datetime | None
    revision: int


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """One status change of a finding: ``event`` moved it ``from_status`` ``to_status``."""

    id: int
    finding_id: int
    event: str
    from_status: str | None
    origin: str
    actor: str | None
    note: str | None
    at: datetime
    to_status: str | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One evaluation of frameworks over a source (None: every source) and what it changed;
    ``summary`` gives, per framework, its scope and failures by severity."""

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
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvaluationResult(Evaluation):
    """An evaluation just run: also how many tables it tagged, and what it could not check."""

    tagged_tables: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """One framework's report: coverage, open findings by severity, each requirement's
    coverage and the findings not resolved (``sounding compliance report``,
    ``GET /api/v1/compliance/frameworks/{id}/report`` renders it as JSON, CSV or HTML).

    ``framework`` is the framework's definition without its requirements and each entry of
    ``requirements`` a requirement's definition with its counts: documents, kept as dicts."""

    framework: dict[str, Any]
    generated_at: datetime
    source: str | None
    last_evaluation: dict[str, Any] | None  # {"id", "finished_at"} of the newest evaluation
    assets_in_scope: int
    compliant_assets: int
    coverage: float | None  # compliant share of the assets in scope; None without any
    open_by_severity: dict[str, int]
    status_counts: dict[str, int]
    requirements: tuple[dict[str, Any], ...]
    findings: tuple[Finding, ...]
