"""What custom properties hand out: typed records. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PropertyType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    ENUM = "enum"
    DATE = "date"
    USER = "user"  # an existing user's name
    URL = "url"


@dataclass(frozen=True, slots=True)
class PropertyDefinition:
    """A typed property assets may carry. ``asset_types`` empty: every asset type."""

    id: int
    name: str
    description: str | None
    type: PropertyType
    allowed_values: tuple[str, ...]
    asset_types: tuple[str, ...]
    required: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int
