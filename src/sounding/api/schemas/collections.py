"""Collections: what ``/api/v1/collections`` reads and edits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel

Visibility = Literal["private", "shared", "users"]
VISIBILITY_HELP = (
    "private: only its owner; shared: every catalog reader; users: its owner and the users "
    "named in shared_with"
)
Urn = str


class CollectionPublic(BaseModel):
    """A named list of assets a user keeps (and may share)."""

    id: int
    name: str
    description: str | None
    owner: str = Field(description="The user who made it: only they (or an admin) edit it")
    visibility: Visibility = Field(description=VISIBILITY_HELP)
    shared_with: list[str]
    item_count: int = Field(description="Its assets, removed ones included")
    created_at: datetime
    updated_at: datetime
    revision: int
    can_edit: bool = Field(description="Whether the caller may edit it")


class CollectionPage(Page[CollectionPublic]):
    pass


class CollectionItemPublic(BaseModel):
    """An asset in a collection; ``removed`` once it was deleted from its source."""

    position: int
    urn: str
    asset_id: int | None
    name: str | None
    type: str | None
    source: str | None
    domain: str | None
    removed: bool
    note: str | None
    added_by: str
    added_at: datetime


class CollectionItemPage(Page[CollectionItemPublic]):
    collection: CollectionPublic


class CollectionCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    visibility: Visibility = Field("private", description=VISIBILITY_HELP)
    shared_with: list[str] = Field(
        default_factory=list, max_length=200, description="User names (visibility users)"
    )


class CollectionUpdate(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    visibility: Visibility | None = Field(None, description=VISIBILITY_HELP)
    shared_with: list[str] | None = Field(
        None, max_length=200, description="The whole new list of user names"
    )


class CollectionItemsAdd(RequestModel):
    urns: list[Urn] = Field(min_length=1, max_length=1000, description="Asset URNs, in order")
    note: str | None = Field(None, max_length=2000, description="Kept with each added asset")


class CollectionItemsRemove(RequestModel):
    urns: list[Urn] = Field(min_length=1, max_length=1000)


class CollectionItemsAdded(BaseModel):
    collection: CollectionPublic
    added: list[str]
    already_present: list[str]


class CollectionItemsRemoved(BaseModel):
    collection: CollectionPublic
    removed: list[str]
    not_present: list[str]
