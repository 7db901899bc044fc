"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.validation import RequestModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page; null on the last page"
    )


class SourceCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Unique name: letters, digits, '_', '-', '.'")
    url: str = Field(
        description="sqlite:///path, postgresql://..., mysql://..., duckdb:///..., file:///dir"
    )
    include: str | None = Field(None, description="Regex on qualified names to include")
    exclude: str | None = Field(None, description="Regex on qualified names to exclude")
    options: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None


class SourceUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")
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


class ScanCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    profile: bool | None = Field(None, description="Profile after discovery (default: source)")
    classify: bool | None = Field(None, description="Classify after discovery (default: source)")
    sample: str | None = Field(None, description="full, 10% or a row cap; default: source")


class ScanPublic(BaseModel):
    """A scan run: the alias, by integer id, of the execution that runs the scan."""

    id: int
    execution_id: str | None = Field(
        None,
        description="The execution running this scan (GET /executions/{id}); "
        "null for scans made before scans were executions",
    )
    source: str
    kind: str
    status: str
    triggered_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    objects_total: int
    objects_done: int
    progress: float
    report: dict[str, Any]
    error: str | None


class AssetPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    parent_id: int | None
    source: str
    revision: int = Field(description="Increases with every change; the ETag is id.revision")


class AssetUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = None
    owner: str | None = None
    steward: str | None = None
    domain: str | None = None
    tags: list[str] | None = Field(None, description="The whole new list of tags")
    add_tags: list[str] | None = Field(None, description="Tags to add to the stored list")
    remove_tags: list[str] | None = Field(None, description="Tags to take off the stored list")
    add_terms: list[str] | None = Field(
        None, description="Glossary terms (ids or paths) to link to the asset"
    )
    remove_terms: list[str] | None = Field(
        None, description="Glossary terms (ids or paths) to unlink from the asset"
    )
    criticality: str | None = None
    lifecycle: str | None = None
    custom_properties: dict[str, Any] | None = None


class UserCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: str = Field(description="admin, steward or viewer")


class UserUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    disabled: bool | None = None


class UserPublic(BaseModel):
    id: int
    name: str
    role: str
    created_at: datetime
    disabled: bool


class TokenCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    expires_in: str | None = Field(
        None,
        max_length=40,
        description="How long the token lives: 90d, 12h, 1w or 'never' "
        "(default: SOUNDING_TOKEN_EXPIRES_IN)",
    )


class TokenRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_in: str | None = Field(
        None, max_length=40, description="Lifetime of the new token (default: the setting)"
    )


class TokenCreated(BaseModel):
    id: int
    user: str
    role: str
    token: str = Field(description="Shown once; only its hash is stored")
    expires_at: datetime | None = Field(description="When it stops working (null: never)")
    replaces: int | None = Field(None, description="The token a rotation revoked for it")
