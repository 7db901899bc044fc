"""Profiles, classifications and scan rule sets: what their routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.schemas.common import ItemList, Page
from sounding.api.validation import RequestModel


class ProfilePublic(BaseModel):
    asset_id: int
    urn: str
    scan_run_id: int | None
    created_at: datetime
    policy: dict[str, Any] = Field(description='How rows were sampled: {"kind", "value"}')
    profile: dict[str, Any] = Field(
        description="A table's profile (row_count, sampled_rows, sample_method, columns, "
        "notes, ...) or a column's (null_count, distinct_count, min, max, top_values, "
        "histogram, ...); values of sensitive columns are *** without pii:read"
    )


class ProfilePage(Page[ProfilePublic]):
    pass


class ClassificationPublic(BaseModel):
    label: str
    confidence: float
    status: str = Field(description="suggested, confirmed or rejected")
    rule: str | None
    evidence: dict[str, Any] = Field(description="What the rule saw (matches, sample share)")
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    updated_at: datetime


class ColumnClassificationPublic(ClassificationPublic):
    column: str = Field(description="The column's name")
    urn: str = Field(description="The column's URN")


class ColumnClassificationList(ItemList[ColumnClassificationPublic]):
    pass


class LabeledColumnPublic(ClassificationPublic):
    urn: str
    qualified_name: str
    column: str
    source: str


class LabeledColumnPage(Page[LabeledColumnPublic]):
    pass


class LabelPublic(BaseModel):
    name: str
    description: str
    detection: str = Field(description="How the label is detected")


class LabelList(ItemList[LabelPublic]):
    pass


class ClassificationDecision(RequestModel):
    note: str | None = Field(None, description="Why (kept with the decision)")


class RuleSetCreate(RequestModel):
    """A rule set in the YAML format, as JSON (``description``, ``rules``, ... beside
    ``name``)."""

    model_config = ConfigDict(extra="allow")  # the rule-set definition, checked by the service
    name: str
    sources: list[str] = Field(default_factory=list, description="Attach to these sources")


class RuleSetPublic(BaseModel):
    name: str
    description: str | None
    version: int
    definition: dict[str, Any] = Field(description="The rule set as stored (the YAML format)")
    sources: list[str] = Field(description="Sources it is attached to")
    created_by: str | None
    updated_at: datetime


class RuleSetList(ItemList[RuleSetPublic]):
    pass
