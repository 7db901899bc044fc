"""/api/v1/scans: start scans (executions of ``scan:SOURCE``) and read them by scan id."""

from __future__ import annotations

from typing import Any

from sounding.api.deps import CtxDep, PageDep, Reader, Runner
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas import ScanCreate, ScanEventPage, ScanPage, ScanPublic
from sounding.domain.scans import ScanRun
from sounding.services import scan_workflows, scans

router = api_router("/scans", tags=["scans"])


@router.post("", status_code=202, response_model=ScanPublic)
def start_scan(ctx: CtxDep, who: Runner, body: ScanCreate) -> ScanRun:
    """Start a scan: an execution of the workflow ``scan:SOURCE``. Follow it at
    GET /executions/{execution_id} (or its alias GET /scans/{id})."""
    options = scans.options_for(
        ctx, body.source, body.profile, body.classify, body.sample, body.lineage
    )
    return scan_workflows.start_public(ctx, who, body.source, options)


@router.get("", response_model=ScanPage)
def list_scans(
    ctx: CtxDep, who: Reader, page: PageDep, source: str | None = None
) -> dict[str, Any]:
    order = scans.SCAN_ORDER
    items, total = scans.list_scans(ctx, who, page.limit, page.offset, source, page.after(order))
    return page.result(items, total, order)


@router.get("/{scan_id}", response_model=ScanPublic)
def get_scan(ctx: CtxDep, who: Reader, scan_id: Id) -> ScanRun:
    return scans.get_scan(ctx, who, scan_id)


@router.get("/{scan_id}/events", response_model=ScanEventPage)
def scan_events(ctx: CtxDep, who: Reader, scan_id: Id, page: PageDep) -> dict[str, Any]:
    """The discovery events (created, schema_changed, ...) this scan produced."""
    order = scans.EVENT_ORDER
    items, total = scans.scan_events(ctx, who, scan_id, page.limit, page.offset, page.after(order))
    return page.result(items, total, order)
