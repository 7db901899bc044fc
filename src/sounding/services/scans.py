"""Scan runs: the record a scan's discovery writes, read as the ``/api/v1/scans`` alias.

A scan is an execution of the workflow ``scan:NAME`` (``scan_workflows.start``); its scan run
(an integer id) is created with it, carries its ``execution_id``, and is written by the
``discover`` step. Reading a scan run of an execution reports the execution's status, so a
client polling ``GET /api/v1/scans/{id}`` sees ``running`` until every stage is done.
:func:`run_scan` runs the whole pipeline in the calling thread, without the engine (the
library call tests and benchmarks use).
"""

from __future__ import annotations

import logging
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.orchestration import RunStatus
from sounding.domain.paging import Key
from sounding.domain.profiling import SamplePolicy
from sounding.domain.scans import ScanEvent, ScanOptions, ScanReport, ScanRun, ScanStatus
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.services import scan_stages
from sounding.services.context import Context
from sounding.services.discovery import Progress, execute_scan
from sounding.services.sources import get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit
from sounding.store.repos import scans as repo

logger = logging.getLogger(__name__)

ACTIVE = (ScanStatus.PENDING.value, ScanStatus.RUNNING.value)


_EXECUTION_DONE = (RunStatus.COMPLETED.value, RunStatus.FAILED.value, RunStatus.CANCELLED.value)


def _effective(run: dict[str, Any]) -> tuple[str, Any, str | None]:
    """(status, finished_at, error) of a scan run, its execution's when a scan execution
    (``scan:NAME``) runs it: running while any stage runs; the execution's failure or
    cancellation when discovery did not record one (it never ran, or a later stage failed).
    A discovery step in a workflow of the user's own reports only itself."""
    status, finished, error = run["status"], run["finished_at"], run["error"]
    execution = run.get("execution_status")
    workflow = run.get("execution_workflow") or ""
    if execution is None or not workflow.startswith(scan_stages.WORKFLOW_PREFIX):
        return status, finished, error
    if execution not in _EXECUTION_DONE:
        return (ScanStatus.RUNNING.value if run["started_at"] else status), None, None
    if execution != RunStatus.COMPLETED.value and status != ScanStatus.FAILED.value:
        status, error = execution, error or run.get("execution_error") or f"Scan {execution}"
    return status, run.get("execution_finished_at") or finished, error


def public(run: dict[str, Any]) -> ScanRun:
    """A scan run's row as the record ``/api/v1/scans`` shows."""
    total, done = run["objects_total"] or 0, run["objects_done"] or 0
    status, finished, error = _effective(run)
    return ScanRun(
        id=int(run["id"]),
        execution_id=run.get("execution_id"),
        source=str(run["source"]),
        kind=str(run["kind"]),
        status=str(status),
        triggered_by=run["triggered_by"],
        created_at=run["created_at"],
        started_at=run["started_at"],
        finished_at=finished,
        objects_total=total,
        objects_done=done,
        progress=round(done / total, 4) if total else (1.0 if finished else 0.0),
        report=run["report"] or {},
        error=error,
    )


def create(ctx: Context, actor: Principal, source: str, execution_id: str | None = None) -> int:
    """A pending scan run of ``source`` (run by ``execution_id`` when given); 409 while the
    source's last scan is still active."""
    actor.require(Permission.SCAN_RUN)
    row = get_row(ctx, source)
    if row["kind"] == "external":
        raise InvalidInputError(
            f"Source '{source}' holds datasets reported by OpenLineage; it has no connection "
            "to scan",
            source=source,
        )
    if row["kind"] == "manual":
        raise InvalidInputError(
            f"Source '{source}' holds assets created by hand; it has no connection to scan",
            source=source,
        )
    with ctx.db.write() as conn:
        runs, _ = repo.list_runs(conn, 1, 0, row["id"])
        if runs and _effective(runs[0])[0] in ACTIVE:
            raise ConflictError(
                f"Source '{source}' already has scan {runs[0]['id']} {runs[0]['status']}; "
                "wait for it to finish",
                scan_id=runs[0]["id"],
            )
        scan_id = repo.insert(
            conn, row["id"], "discovery", ScanStatus.PENDING.value, actor.name, execution_id
        )
        detail: dict[str, Any] = {"scan_id": scan_id}
        if execution_id is not None:
            detail["execution_id"] = execution_id
        audit.record(conn, actor.name, "scan.start", "source", source, detail)
    return scan_id


def abandon(ctx: Context, scan_id: int, error: str) -> None:
    """Fail a scan run whose execution could not start (nothing else will finish it)."""
    with ctx.db.write() as conn:
        repo.update(conn, scan_id, {"status": ScanStatus.FAILED.value, "error": error})


def options_for(
    ctx: Context,
    source: str,
    profile: bool | None = None,
    classify: bool | None = None,
    sample: str | None = None,
    lineage: bool | None = None,
) -> ScanOptions:
    """What this scan runs: explicit choices, else the source's defaults (its ``options``;
    lineage is refreshed unless turned off)."""
    defaults = get_row(ctx, source)["options"] or {}
    options = ScanOptions(
        profile=bool(defaults.get("profile", False)) if profile is None else profile,
        classify=bool(defaults.get("classify", False)) if classify is None else classify,
        sample=str(sample or defaults.get("sample") or "full"),
        lineage=True if lineage is None else lineage,
    )
    SamplePolicy.parse(options.sample)  # a bad sample policy fails before the scan starts
    return options


def run_scan(
    ctx: Context,
    actor: Principal,
    source: str,
    progress: Progress | None = None,
    options: ScanOptions | None = None,
) -> ScanRun:
    """Scan now, in this thread, without the engine: discovery, then the later stages of
    :data:`scan_stages.STAGES` the options ask for; returns the finished run (raises if the
    scan failed). Users' scans run as executions (``scan_workflows.start``)."""
    options = options or options_for(ctx, source)
    scan_id = create(ctx, actor, source)

    def then(report: ScanReport) -> None:
        scan_stages.run_inline(
            scan_stages.StageRun(ctx, source, scan_id, options, report, progress)
        )

    return public(execute_scan(ctx, scan_id, source, progress, then))


def discover(ctx: Context, actor: Principal, source: str, execution_id: str) -> ScanRun:
    """The ``discover`` step: run the discovery of the scan run this execution created
    (``scan_workflows.start``), or of a new one (a workflow of the user's own); a retry runs
    the same scan run again. Returns the finished run (raises if discovery failed)."""
    with ctx.db.read() as conn:
        found = repo.by_execution(conn, execution_id, source)
    scan_id = int(found["id"]) if found is not None else create(ctx, actor, source, execution_id)
    return public(execute_scan(ctx, scan_id, source))


def get_scan(ctx: Context, actor: Principal, scan_id: int) -> ScanRun:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        run = repo.get(conn, scan_id)
    if run is None:
        raise NotFoundError(f"Scan {scan_id} not found", scan_id=scan_id)
    return public(run)


def of_execution(ctx: Context, actor: Principal, execution_id: str, source: str) -> ScanRun | None:
    """The scan run of ``source`` an execution runs, if it has one."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        run = repo.by_execution(conn, execution_id, source)
    return public(run) if run is not None else None


SCAN_ORDER = repo.SCAN_ORDER
EVENT_ORDER = asset_repo.EVENT_ORDER


def list_scans(
    ctx: Context,
    actor: Principal,
    limit: int,
    offset: int,
    source: str | None = None,
    after: Key | None = None,
) -> tuple[list[ScanRun], int]:
    """Scans newest first: from ``offset``, or after the key ``after`` of :data:`SCAN_ORDER`."""
    actor.require(Permission.CATALOG_READ)
    source_id = get_row(ctx, source)["id"] if source else None
    with ctx.db.read() as conn:
        runs, total = repo.list_runs(conn, limit, offset, source_id, after)
    return [public(r) for r in runs], total


def scan_events(
    ctx: Context,
    actor: Principal,
    scan_id: int,
    limit: int,
    offset: int,
    after: Key | None = None,
) -> tuple[list[ScanEvent], int]:
    """A scan's discovery events in order: from ``offset``, or after the key ``after`` of
    :data:`EVENT_ORDER`."""
    get_scan(ctx, actor, scan_id)
    with ctx.db.read() as conn:
        rows, total = asset_repo.events_for_scan(conn, scan_id, limit, offset, after)
    return [_event(r) for r in rows], total


def _event(row: dict[str, Any]) -> ScanEvent:
    return ScanEvent(
        id=int(row["id"]),
        asset_id=int(row["asset_id"]),
        scan_run_id=row["scan_run_id"],
        event_type=str(row["event_type"]),
        diff=row["diff"] or {},
        created_at=row["created_at"],
        urn=str(row["urn"]),
    )
