"""What the tag taxonomy hands out: typed records. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TaxonomyTag:
    """A tag a group defines; ``tag`` is what assets carry (``tier.gold``)."""

    name: str
    tag: str
    description: str | None


@dataclass(frozen=True, slots=True)
class TagGroup:
    """A group of tags and the roles that may apply them."""

    id: int
    name: str
    description: str | None
    apply_roles: tuple[str, ...]
    tags: tuple[TaxonomyTag, ...]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int
