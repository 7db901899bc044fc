"""Assets of the catalog: what ``/api/v1/assets`` reads and edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel


class ForeignKeyPublic(BaseModel):
    name: str | None
    columns: list[str]
    referred_urn: str
    referred_columns: list[str]


class AssetPublic(BaseModel):
    """An asset. The fields after ``revision`` exist only for some types: ``data_type`` ...
    ``is_primary_key`` on columns, ``row_count`` ... ``properties`` on tables, views and
    datasets; an answer leaves out the fields its asset's type does not have."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    parent_id: int | None
    source: str
    description: str | None
    owner: str | None
    steward: str | None
    domain: str | None
    tags: list[str]
    criticality: str | None
    lifecycle: str | None
    custom_properties: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    deleted_at: datetime | None
    deleted: bool
    revision: int | None = Field(description="Increases with every change; the ETag is id.revision")
    # columns only
    data_type: str | None = None
    nullable: bool | None = None
    ordinal: int | None = None
    default: str | None = None
    is_primary_key: bool | None = None
    # tables, views and datasets only
    row_count: int | None = None
    row_count_exact: bool | None = None
    size_bytes: int | None = None
    primary_key: list[str] | None = None
    foreign_keys: list[ForeignKeyPublic] | None = None
    view_sql: str | None = None
    properties: dict[str, Any] | None = Field(
        None, description="What the source says of the object beyond the fields above"
    )


class DiscoveryEventPublic(BaseModel):
    """A change a scan found: created, schema_changed, deleted, restored, ..."""

    id: int
    asset_id: int
    scan_run_id: int | None
    event_type: str
    diff: dict[str, Any] = Field(description="What changed (e.g. columns added or removed)")
    created_at: datetime


class AssetDetailPublic(AssetPublic):
    """One asset with its children (``columns`` too for tables, views and datasets), its
    glossary terms and its last discovery events."""

    glossary_terms: list[str]
    columns: list[AssetPublic] | None = None
    children: list[AssetPublic]
    events: list[DiscoveryEventPublic]


class AssetPage(Page[AssetPublic]):
    pass


class AssetUpdate(RequestModel):
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
    # assets created by hand only
    properties: dict[str, Any] | None = Field(
        None, description="An asset created by hand: what else to keep (url, ...), replaced"
    )
    add_upstream: list[str] | None = Field(
        None, max_length=100, description="An asset created by hand: assets that feed it"
    )
    add_downstream: list[str] | None = Field(
        None, max_length=100, description="An asset created by hand: assets it feeds"
    )
