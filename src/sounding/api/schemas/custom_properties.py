"""Custom properties: what ``/api/v1/custom-properties`` reads and edits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel
from sounding.features.custom_properties.records import PropertyType

AllowedValue = Annotated[str, Field(min_length=1, max_length=200)]
PropertyTypeName = Literal["string", "number", "enum", "date", "user", "url"]
AssetTypeName = Literal[
    "source",
    "database",
    "schema",
    "table",
    "view",
    "dataset",
    "column",
    "dashboard",
    "chart",
    "pipeline",
    "ml_model",
    "api_endpoint",
]


class PropertyPublic(BaseModel):
    """A typed property assets carry in ``custom_properties``."""

    id: int
    name: str
    description: str | None
    type: PropertyType
    allowed_values: list[str] = Field(description="The values of an enum property")
    asset_types: list[str] = Field(description="The asset types it applies to; empty: all")
    required: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


class PropertyPage(Page[PropertyPublic]):
    pass


class PropertyCreate(RequestModel):
    name: str = Field(
        min_length=1, max_length=63, description="Lower-case letters, digits, '_'; the key"
    )
    description: str | None = Field(None, max_length=2000)
    type: PropertyTypeName
    allowed_values: list[AllowedValue] | None = Field(
        None, max_length=200, description="Required for an enum property, refused otherwise"
    )
    asset_types: list[AssetTypeName] | None = Field(
        None, max_length=12, description="The asset types it applies to (default: all)"
    )
    required: bool = False


class PropertyUpdate(RequestModel):
    description: str | None = Field(None, max_length=2000)
    allowed_values: list[AllowedValue] | None = Field(None, max_length=200)
    asset_types: list[AssetTypeName] | None = Field(None, max_length=12)
    required: bool | None = None
