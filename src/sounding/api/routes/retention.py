"""/api/v1/admin/retention: the retention settings, the last prune, and a prune on demand."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from sounding.api.deps import Admin, CtxDep
from sounding.api.routing import api_router
from sounding.api.schemas.retention import PruneReportPublic, RetentionPublic
from sounding.domain.retention import PruneReport, RetentionState
from sounding.services import retention

router = api_router("/admin/retention", tags=["system"])


@router.get("", response_model=RetentionPublic)
def get_retention(ctx: CtxDep, who: Admin) -> RetentionState:
    """Each kind's retention, the periodic prune's interval and this server's last prune."""
    return retention.state(ctx, who)


@router.post("/prune", response_model=PruneReportPublic)
def prune(
    ctx: CtxDep,
    who: Admin,
    dry_run: Annotated[bool, Query(description="Count what would go; delete nothing")] = True,
) -> PruneReport:
    """Prune now (409 while a prune runs). ``dry_run`` defaults to true: deleting is asked
    for with ``?dry_run=false``."""
    return retention.prune_now(ctx, who, dry_run=dry_run)
