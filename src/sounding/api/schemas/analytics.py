"""Catalog analytics and asset usage: what their routes answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class SourceCount(BaseModel):
    source: str
    count: int


class DomainCount(BaseModel):
    domain: str | None
    count: int


class AssetCounts(BaseModel):
    by_type: dict[str, int]
    by_source: list[SourceCount]
    by_domain: list[DomainCount]


class CoverageFigure(BaseModel):
    count: int
    percent: float | None = Field(description="Null when there are no objects")


class CoveragePublic(BaseModel):
    objects: int
    described: CoverageFigure
    owned: CoverageFigure
    classified: CoverageFigure
    with_lineage: CoverageFigure
    with_quality_rules: CoverageFigure


class UsedObjectPublic(BaseModel):
    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    owner: str | None
    popularity: float
    views: int
    queries: int
    search_hits: int


class UnusedObjects(BaseModel):
    count: int
    items: list[UsedObjectPublic] = Field(description="The first 50")


class UsageTrendDay(BaseModel):
    day: date
    views: int
    search_hits: int
    queries: int
    searches: int


class QueryCount(BaseModel):
    query: str
    count: int


class SearchSummary(BaseModel):
    total: int
    zero_results: int
    top: list[QueryCount]


class SchemaChangePublic(BaseModel):
    at: datetime
    diff: dict[str, Any]
    scan_run_id: int | None
    id: int
    urn: str
    qualified_name: str
    type: str


class QualityTrendDay(BaseModel):
    day: date
    score: float | None
    objects: int


class ComplianceTrendDay(BaseModel):
    day: date
    opened: int
    reopened: int
    accepted: int
    resolved: int


class OpenFindingCount(BaseModel):
    framework: str
    severity: str
    count: int


class ComplianceTrend(BaseModel):
    days: list[ComplianceTrendDay]
    open: list[OpenFindingCount]
    open_total: int


class CatalogAnalyticsPublic(BaseModel):
    days: int
    since: datetime
    generated_at: datetime
    assets: AssetCounts
    coverage: CoveragePublic
    most_used: list[UsedObjectPublic]
    unused: UnusedObjects
    usage_trend: list[UsageTrendDay]
    searches: SearchSummary
    schema_changes: list[SchemaChangePublic]
    quality_trend: list[QualityTrendDay]
    compliance_trend: ComplianceTrend


class UsageAssetRef(BaseModel):
    id: int
    urn: str
    name: str
    type: str


class UsageDay(BaseModel):
    day: date
    kind: str = Field(description="view, search_hit or query")
    count: int
    users: int


class AssetUsagePublic(BaseModel):
    asset: UsageAssetRef
    days: int
    popularity: float
    totals: dict[str, int] = Field(description="Per kind of use over the window")
    daily: list[UsageDay]
