"""Data products: what ``/api/v1/data-products`` reads and edits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel

Status = Literal["draft", "published", "deprecated"]
MAX_HOURS = 24 * 366


class DataProductPublic(BaseModel):
    """A data product. ``version`` grows by one on every change of its ports."""

    id: int
    name: str
    description: str | None
    owners: list[str]
    domain: str | None
    sla: str | None = Field(description="The promise to consumers, in words")
    freshness_hours: int | None = Field(description="Outputs are at most this many hours old")
    status: Status
    version: int
    input_count: int
    output_count: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


class PortAssetPublic(BaseModel):
    """An asset on a port."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    deleted: bool


class ProductHealthPublic(BaseModel):
    """Quality and compliance rolled up from the product's assets."""

    status: Literal["ok", "at_risk", "unknown"]
    quality_score: float | None = Field(description="Mean overall score of its scored tables")
    tables_scored: int
    open_findings: int
    open_by_severity: dict[str, int]


class DataProductDetailPublic(DataProductPublic):
    inputs: list[PortAssetPublic]
    outputs: list[PortAssetPublic]
    health: ProductHealthPublic | None


class DataProductPage(Page[DataProductPublic]):
    pass


Refs = list[str]


class DataProductCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    owners: list[str] = Field(default_factory=list, max_length=50)
    domain: str | None = Field(None, max_length=200, description="A domain's name")
    sla: str | None = Field(None, max_length=2000)
    freshness_hours: int | None = Field(None, ge=1, le=MAX_HOURS)
    inputs: Refs = Field(default_factory=list, max_length=500, description="Asset ids or URNs")
    outputs: Refs = Field(default_factory=list, max_length=500, description="Asset ids or URNs")


class DataProductUpdate(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    owners: list[str] | None = Field(None, max_length=50)
    domain: str | None = Field(None, max_length=200)
    sla: str | None = Field(None, max_length=2000)
    freshness_hours: int | None = Field(None, ge=1, le=MAX_HOURS)
    status: Status | None = Field(None, description="draft → published → deprecated")
    inputs: Refs | None = Field(None, max_length=500, description="The whole new list")
    outputs: Refs | None = Field(None, max_length=500, description="The whole new list")
