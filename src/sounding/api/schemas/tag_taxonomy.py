"""The tag taxonomy: what ``/api/v1/tag-groups`` reads and edits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel

RoleName = Literal["admin", "steward", "viewer"]


class TaxonomyTagPublic(BaseModel):
    name: str
    tag: str = Field(description="What assets carry: group.name")
    description: str | None


class TagGroupPublic(BaseModel):
    """A group of tags and the roles that may apply them."""

    id: int
    name: str
    description: str | None
    apply_roles: list[str]
    tags: list[TaxonomyTagPublic]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


class TagGroupPage(Page[TagGroupPublic]):
    pass


class TaxonomyTagIn(RequestModel):
    name: str = Field(min_length=1, max_length=99)
    description: str | None = Field(None, max_length=2000)


class TagGroupCreate(RequestModel):
    name: str = Field(min_length=1, max_length=99, description="Lower case; no '.'")
    description: str | None = Field(None, max_length=2000)
    apply_roles: list[RoleName] | None = Field(
        None, max_length=3, description="Roles that may apply its tags (default admin, steward)"
    )
    tags: list[TaxonomyTagIn] = Field(default_factory=list, max_length=500)


class TagGroupUpdate(RequestModel):
    description: str | None = Field(None, max_length=2000)
    apply_roles: list[RoleName] | None = Field(None, max_length=3)
    add_tags: list[TaxonomyTagIn] | None = Field(None, max_length=500)
    remove_tags: list[str] | None = Field(None, max_length=500)
