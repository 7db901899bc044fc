"""Discovery scans: what ``/api/v1/scans`` takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sounding.api.schemas.assets import DiscoveryEventPublic
from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel


class ScanCreate(RequestModel):
    source: str
    profile: bool | None = Field(None, description="Profile after discovery (default: source)")
    classify: bool | None = Field(None, description="Classify after discovery (default: source)")
    sample: str | None = Field(None, description="full, 10% or a row cap; default: source")
    lineage: bool | None = Field(
        None, description="Refresh the views' lineage after discovery (default: yes)"
    )


class ScanPublic(BaseModel):
    """A scan run: the alias, by integer id, of the execution that runs the scan."""

    id: int
    execution_id: str | None = Field(
        None,
        description="The execution running this scan (GET /executions/{id}); "
        "null for scans made before scans were executions",
    )
    source: str
    kind: str
    status: str
    triggered_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    objects_total: int
    objects_done: int
    progress: float
    report: dict[str, Any] = Field(
        description="Counts per stage, warnings and failures per object (bounded lists)"
    )
    error: str | None


class ScanPage(Page[ScanPublic]):
    pass


class ScanEventPublic(DiscoveryEventPublic):
    urn: str = Field(description="The asset's URN")


class ScanEventPage(Page[ScanEventPublic]):
    pass
