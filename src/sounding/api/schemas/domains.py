"""Domains: what ``/api/v1/domains`` reads and edits."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sounding.api.schemas.assets import AssetPublic
from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel


class DomainPublic(BaseModel):
    """A domain. ``asset_count`` counts the assets in it (not its sub-domains')."""

    id: int
    name: str
    description: str | None
    owners: list[str]
    parent: str | None = Field(description="The parent domain's name; null at the top")
    parent_id: int | None
    asset_count: int
    subdomain_count: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


class DomainDetailPublic(DomainPublic):
    """One domain with its path from the top, its sub-domains and its first assets."""

    path: list[str] = Field(description="The names of its ancestors, top first")
    subdomains: list[DomainPublic]
    assets: list[AssetPublic] = Field(
        description="Its first assets by qualified name (?asset_limit=); asset_count says how "
        "many there are, GET /api/v1/domains/{ref}/assets pages through them"
    )


class DomainPage(Page[DomainPublic]):
    pass


class DomainCreate(RequestModel):
    name: str = Field(
        min_length=1, max_length=200, description="Unique without regard to case; no '/'"
    )
    description: str | None = Field(None, max_length=20_000)
    owners: list[str] = Field(
        default_factory=list, max_length=50, description="User names of its owners"
    )
    parent: str | None = Field(None, max_length=200, description="The parent's name or id")


class DomainUpdate(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    owners: list[str] | None = Field(None, max_length=50)
    parent: str | None = Field(
        None, max_length=200, description="The new parent's name or id; null moves it to the top"
    )
