"""Assets created by hand, bulk curation and catalog export/import (``/api/v1/assets``,
``/api/v1/assets/bulk``, ``/api/v1/catalog``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from sounding.api.validation import RequestModel

RefList = Annotated[list[str], Field(max_length=100, description="At most 100")]


class AssetCreate(RequestModel):
    """A dashboard, chart (report), pipeline (job), ML model or API endpoint no scanner finds.
    ``source`` names a source of kind ``manual`` (created on first use); ``upstream`` and
    ``downstream`` name assets (ids or URNs) its lineage joins."""

    type: str = Field(
        max_length=50, description="dashboard, chart, pipeline, ml_model, api_endpoint"
    )
    name: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=100)
    parent: str | None = Field(
        None, max_length=2000, description="A dashboard for a chart, a pipeline for a pipeline"
    )
    description: str | None = Field(None, max_length=20_000)
    owner: str | None = Field(None, max_length=200)
    steward: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=200)
    tags: RefList = []
    criticality: str | None = None
    lifecycle: str | None = None
    custom_properties: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(
        default_factory=dict, description="What else to keep: url, system, ..."
    )
    upstream: RefList = []
    downstream: RefList = []


class AssetDeleted(BaseModel):
    """The URNs deleted: the asset and those under it (a dashboard's charts)."""

    deleted: list[str]


class BulkSet(RequestModel):
    owner: str | None = Field(None, max_length=200)
    steward: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=200)
    criticality: str | None = None
    lifecycle: str | None = None
    custom_properties: dict[str, Any] | None = Field(
        None, description="Merged key by key into each asset's; a key set to null is removed"
    )


class AssetBulkUpdate(RequestModel):
    """Select by ``urns`` or by ``query`` and/or ``filters`` (the names ``GET /api/v1/search``
    takes: type, source, schema, domain, tag, label, owner, lifecycle, criticality, term,
    missing, quality_min, quality_max); at most 1,000 assets."""

    query: str | None = Field(None, max_length=500)
    filters: dict[str, Any] | None = None
    urns: list[str] | None = Field(None, max_length=1000)
    set: BulkSet = Field(default_factory=BulkSet)
    add_tags: RefList = []
    remove_tags: RefList = []
    add_terms: RefList = []
    remove_terms: RefList = []
    dry_run: bool = False


class AssetChangePublic(BaseModel):
    id: int
    urn: str
    name: str
    type: str
    before: dict[str, Any]
    after: dict[str, Any]


class AssetBulkResult(BaseModel):
    """``matched`` assets selected, ``changed`` of them altered (or that would be, on a dry
    run); ``items`` the fields each one changes, before and after."""

    dry_run: bool
    matched: int
    changed: int
    items: list[AssetChangePublic]


class CatalogImportResult(BaseModel):
    """Records read, and how many created something new, changed something or nothing."""

    rows: int
    created: int
    updated: int
    unchanged: int


class CatalogImport(RequestModel):
    """A file ``GET /api/v1/catalog/export`` wrote (or one like it): its text and format."""

    format: Literal["jsonl", "csv"] = "jsonl"
    content: str = Field(description="The file's text (see docs/catalog.md for its records)")
