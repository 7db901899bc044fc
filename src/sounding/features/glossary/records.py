"""What the business glossary hands out: terms as typed records. No I/O.

Services build these from stored rows; the API validates them into its response schemas
(``api/schemas/glossary.py``) by attribute, the CLI prints them with :func:`record_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """A term as lists show it; ``related`` holds the paths of its related terms."""

    id: int
    urn: str
    name: str
    path: str
    parent_id: int | None
    definition: str | None
    synonyms: list[str]
    abbreviations: list[str]
    examples: list[str]
    classifications: list[str]
    related: list[str]
    owner: str | None
    steward: str | None
    status: str
    approved_by: str | None
    approved_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


@dataclass(frozen=True, slots=True)
class GlossaryTermDetail(GlossaryTerm):
    """One term, with the paths of its direct children."""

    children: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GlossaryTreeNode:
    """A term in the hierarchy, its children nested, siblings by name."""

    id: int
    name: str
    path: str
    parent_id: int | None
    status: str
    definition: str | None
    children: list[GlossaryTreeNode]


@dataclass(frozen=True, slots=True)
class GlossaryImportResult:
    """What an import did: terms created, updated, and missing parents added."""

    created: int
    updated: int
    ancestors_created: int
    terms: int


@dataclass(frozen=True, slots=True)
class GlossaryLink:
    """A term-asset link: a suggestion, or an accepted or rejected one."""

    id: int
    term_id: int
    term_path: str
    asset_id: int
    urn: str
    asset_type: str
    qualified_name: str
    source: str
    status: str
    confidence: float | None
    reasons: list[str]
    created_by: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class SuggestionRun:
    """What one run of link suggestion found over ``terms`` and ``assets``."""

    terms: int
    assets: int
    suggested: int
    updated: int
    withdrawn: int
    threshold: float
