"""Request and response bodies of ``/api/v1/glossary/terms``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.validation import RequestModel

GlossaryFormat = Literal["csv", "json"]


class GlossaryTermFields(RequestModel):
    model_config = ConfigDict(extra="forbid")
    definition: str | None = None
    synonyms: list[str] | None = None
    abbreviations: list[str] | None = None
    examples: list[str] | None = None
    classifications: list[str] | None = Field(
        None, description="Classification labels the term corresponds to, e.g. PII.Email"
    )
    related: list[str] | None = Field(None, description="Related terms (ids or paths)")
    owner: str | None = None
    steward: str | None = None


class GlossaryTermCreate(GlossaryTermFields):
    name: str | None = None
    parent: str | None = Field(None, description="Parent term id or path")
    path: str | None = Field(None, description="Full path instead of name + parent")


class GlossaryTermUpdate(GlossaryTermFields):
    name: str | None = None
    parent: str | None = Field(None, description="Move under this term (id or path); '' = top")
    status: Literal["draft"] | None = Field(None, description="Return to draft")


class GlossaryStatusChange(RequestModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None


class GlossaryLinkCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    asset: str = Field(description="Asset id or URN")


class GlossaryImport(RequestModel):
    model_config = ConfigDict(extra="forbid")
    format: GlossaryFormat = "csv"
    content: str = Field(description="The file's text (see docs/glossary.md for its columns)")


class GlossarySuggestionsGenerate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, description="Only assets of this source")
    threshold: float = Field(0.6, gt=0, le=1, description="Lowest confidence kept")


class GlossaryTermSummary(BaseModel):
    """A term as lists show it."""

    id: int
    urn: str
    name: str
    path: str = Field(description="/Parent/Child")
    parent_id: int | None
    definition: str | None
    synonyms: list[str]
    abbreviations: list[str]
    examples: list[str]
    classifications: list[str]
    related: list[str] = Field(description="Paths of the related terms")
    owner: str | None
    steward: str | None
    status: str = Field(description="draft, approved or deprecated")
    approved_by: str | None
    approved_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int = Field(description="Increases with every change; the ETag is id.revision")


class GlossaryTermPublic(GlossaryTermSummary):
    """One term, with the paths of its direct children."""

    children: list[str]


class GlossaryTermPage(BaseModel):
    items: list[GlossaryTermSummary]
    total: int
    next_cursor: str | None = None


class GlossaryTreeNode(BaseModel):
    id: int
    name: str
    path: str
    parent_id: int | None
    status: str
    definition: str | None
    children: list[GlossaryTreeNode]


class GlossaryTree(BaseModel):
    items: list[GlossaryTreeNode]
    total: int


class GlossaryImportResult(BaseModel):
    created: int
    updated: int
    ancestors_created: int = Field(description="Missing parents created on the way")
    terms: int


class GlossaryLinkPublic(BaseModel):
    """A term-asset link: a suggestion, or an accepted or rejected one."""

    id: int
    term_id: int
    term_path: str
    asset_id: int
    urn: str
    asset_type: str
    qualified_name: str
    source: str
    status: str = Field(description="suggested, accepted or rejected")
    confidence: float | None
    reasons: list[str]
    created_by: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class GlossaryLinkPage(BaseModel):
    items: list[GlossaryLinkPublic]
    total: int
    next_cursor: str | None = None


class GlossarySuggestionRun(BaseModel):
    terms: int
    assets: int
    suggested: int
    updated: int
    withdrawn: int
    threshold: float
