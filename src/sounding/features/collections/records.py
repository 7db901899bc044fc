"""What the collections feature hands out: collections and their items. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PRIVATE = "private"  # only its owner
SHARED = "shared"  # every catalog reader
USERS = "users"  # its owner and the users it is shared with
VISIBILITIES = (PRIVATE, SHARED, USERS)


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection as lists show it. ``shared_with`` names the users it is shared with when
    ``visibility`` is ``users``; ``item_count`` counts removed assets too; ``can_edit`` says
    whether the reader may edit it (its owner or an admin)."""

    id: int
    name: str
    description: str | None
    owner: str
    visibility: str
    shared_with: tuple[str, ...]
    item_count: int
    created_at: datetime
    updated_at: datetime
    revision: int
    can_edit: bool


@dataclass(frozen=True, slots=True)
class CollectionItem:
    """An asset in a collection. ``removed`` is true once the asset was deleted from its
    source (or purged from the store: then only its URN is left)."""

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


@dataclass(frozen=True, slots=True)
class ItemsAdded:
    """What adding URNs to a collection did."""

    collection: Collection
    added: tuple[str, ...]
    already_present: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemsRemoved:
    collection: Collection
    removed: tuple[str, ...]
    not_present: tuple[str, ...]
