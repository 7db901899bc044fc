"""/api/v1/changes/impact: schema changes since a time and their downstream impact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from sounding.api.deps import CtxDep, Reader
from sounding.api.routing import api_router
from sounding.api.schemas import ChangeImpactPage
from sounding.services import change_impact

router = api_router(tags=["lineage"])


@router.get("/changes/impact", response_model=ChangeImpactPage)
def changes_impact(
    ctx: CtxDep,
    who: Reader,
    since: Annotated[
        datetime,
        Query(description="ISO 8601 (2026-01-31T09:30:00Z); without a zone, UTC"),
    ],
    source: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[
        int, Query(ge=1, le=change_impact.MAX_CHANGES, description="Changes, at most")
    ] = 100,
) -> dict[str, Any]:
    """Columns dropped, renamed or retyped and tables dropped that scans found since a time,
    newest first, each with the downstream assets lineage reaches (owners and quality rules
    included). 404 for an unknown source."""
    items, truncated = change_impact.impact_page(ctx, who, since, source, limit)
    return {"items": items, "total": len(items), "truncated": truncated}
