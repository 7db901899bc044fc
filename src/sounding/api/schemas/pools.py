"""Request and response bodies of ``/api/v1/pools``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sounding.api.validation import RequestModel


class PoolCreate(RequestModel):
    name: str = Field(description="1-100 letters, digits, '_', '-' or '.'")
    slots: int = Field(description="How many slots tasks may hold at once")


class PoolUpdate(RequestModel):
    slots: int


class PoolPublic(BaseModel):
    name: str
    slots: int
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


class PoolList(BaseModel):
    items: list[PoolPublic]
    total: int
