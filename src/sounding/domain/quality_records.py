"""What the quality services hand out: stored rules and the outcome of rule files and
suggestions, as typed records. No I/O.

The API validates them into ``api/schemas/quality.py`` by attribute; the CLI prints them.
``params`` stays a mapping: each rule kind has its own parameters (see ``domain.quality``).
"""

from __future__ import annotations

from dataclasses import dataclass
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
