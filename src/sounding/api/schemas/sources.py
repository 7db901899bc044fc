"""Data sources: what ``/api/v1/sources`` takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel


class SourceCreate(RequestModel):
    name: str = Field(description="Unique name: letters, digits, '_', '-', '.'")
    url: str = Field(
        description="sqlite:///path, postgresql://..., mysql://..., duckdb:///..., file:///dir"
    )
    include: str | None = Field(None, description="Regex on qualified names to include")
    exclude: str | None = Field(None, description="Regex on qualified names to exclude")
    options: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None


class SourceUpdate(RequestModel):
    url: str | None = None
    include: str | None = None
    exclude: str | None = None
    options: dict[str, Any] | None = None
    description: str | None = None


class SourcePublic(BaseModel):
    id: int
    name: str
    kind: str
    url: str = Field(description="The URL with every credential redacted to ***")
    include: str | None
    exclude: str | None
    options: dict[str, Any]
    description: str | None
    created_at: datetime
    updated_at: datetime
    last_scan_at: datetime | None
    revision: int = Field(description="Increases with every change; the ETag is id.revision")


class SourceCreated(SourcePublic):
    warnings: list[str] = Field(
        default_factory=list,
        description="What is too powerful about the source's login (a superuser, server "
        "file access): custom SQL of quality rules runs as that login",
    )


class SourcePage(Page[SourcePublic]):
    pass


class SourceTestPublic(BaseModel):
    """A successful connection test. Beside the fields below it carries what the connector
    reports, which differs by kind: databases have ``dialect``, ``server_version``,
    ``databases`` (and ``schemas``); file sources ``path``, ``datasets``, ``formats``,
    ``duckdb_version``."""

    model_config = ConfigDict(extra="allow")  # the connector's own facts, kind by kind
    ok: bool
    source: str
    warnings: list[str]


class QueryUsageIngested(BaseModel):
    """What ``POST /sources/{name}/usage/ingest`` added from the query log."""

    statements: int = Field(description="Distinct statements in the log")
    new_calls: int = Field(description="Calls since the last ingestion")
    mapped_statements: int = Field(description="Statements that named a known asset")
    assets: int = Field(description="Assets that got usage")
    unparsed: int = Field(description="Statements the SQL parser could not read")
    unresolved: list[str] = Field(description="Names matching no asset (at most 100)")
