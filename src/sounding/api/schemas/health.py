"""What ``/healthz`` answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: str = Field(description="ok, or degraded when the store cannot be reached")
    version: str
    store: bool = Field(description="The metadata store answered")
