"""Use cases for scan runs: start (now or in the background), watch, list."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.paging import Key
from sounding.domain.profiling import SamplePolicy
from sounding.domain.scans import ScanOptions, ScanStatus
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.services.context import Context
from sounding.services.discovery import Progress, execute_scan
from sounding.services.sources import get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit
from sounding.store.repos import scans as repo

logger = logging.getLogger(__name__)

ACTIVE = (ScanStatus.PENDING.value, ScanStatus.RUNNING.value)


class ScanRunner:
    """Runs scans in background threads; one active scan per source."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan")
        self._lock = threading.Lock()
        self._active: dict[str, Future[Any]] = {}

    def submit(self, ctx: Context, scan_id: int, source: str, options: ScanOptions) -> None:
        with self._lock:
            self._active[source] = self._pool.submit(self._run, ctx, scan_id, source, options)

    def _run(self, ctx: Context, scan_id: int, source: str, options: ScanOptions) -> None:
        try:
            execute_scan(ctx, scan_id, source, None, options)
        except Exception:  # recorded on the scan run by execute_scan
            logger.info("Scan %s of '%s' failed; see its report", scan_id, source)
        finally:
            with self._lock:
                self._active.pop(source, None)

    def busy(self, source: str) -> bool:
        with self._lock:
            return source in self._active

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def public(run: dict[str, Any]) -> dict[str, Any]:
    total, done = run["objects_total"] or 0, run["objects_done"] or 0
    return {
        "id": run["id"],
        "source": run["source"],
        "kind": run["kind"],
        "status": run["status"],
        "triggered_by": run["triggered_by"],
        "created_at": run["created_at"],
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "objects_total": total,
        "objects_done": done,
        "progress": round(done / total, 4) if total else (1.0 if run["finished_at"] else 0.0),
        "report": run["report"] or {},
        "error": run["error"],
    }


def _create(ctx: Context, actor: Principal, source: str) -> int:
    actor.require(Permission.SCAN_RUN)
    row = get_row(ctx, source)
    if row["kind"] == "external":
        raise InvalidInputError(
            f"Source '{source}' holds datasets reported by OpenLineage; it has no connection "
            "to scan",
            source=source,
        )
    with ctx.db.write() as conn:
        runs, _ = repo.list_runs(conn, 1, 0, row["id"])
        if runs and runs[0]["status"] in ACTIVE:
            raise ConflictError(
                f"Source '{source}' already has scan {runs[0]['id']} {runs[0]['status']}; "
                "wait for it to finish",
                scan_id=runs[0]["id"],
            )
        scan_id = repo.insert(conn, row["id"], "discovery", ScanStatus.PENDING.value, actor.name)
        audit.record(conn, actor.name, "scan.start", "source", source, {"scan_id": scan_id})
    return scan_id


def options_for(
    ctx: Context,
    source: str,
    profile: bool | None = None,
    classify: bool | None = None,
    sample: str | None = None,
) -> ScanOptions:
    """What this scan runs: explicit choices, else the source's defaults (its ``options``)."""
    defaults = get_row(ctx, source)["options"] or {}
    options = ScanOptions(
        profile=bool(defaults.get("profile", False)) if profile is None else profile,
        classify=bool(defaults.get("classify", False)) if classify is None else classify,
        sample=str(sample or defaults.get("sample") or "full"),
    )
    SamplePolicy.parse(options.sample)  # a bad sample policy fails before the scan starts
    return options


def run_scan(
    ctx: Context,
    actor: Principal,
    source: str,
    progress: Progress | None = None,
    options: ScanOptions | None = None,
) -> dict[str, Any]:
    """Scan now, in this thread; returns the finished run (raises if the scan failed)."""
    options = options or options_for(ctx, source)
    scan_id = _create(ctx, actor, source)
    return public(execute_scan(ctx, scan_id, source, progress, options))


def start_scan(
    ctx: Context, actor: Principal, source: str, options: ScanOptions | None = None
) -> dict[str, Any]:
    """Create a scan run and run it in the background; returns the pending run."""
    options = options or options_for(ctx, source)
    runner = ctx.scan_runner
    scan_id = _create(ctx, actor, source)
    runner.submit(ctx, scan_id, source, options)
    return get_scan(ctx, actor, scan_id)


def get_scan(ctx: Context, actor: Principal, scan_id: int) -> dict[str, Any]:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        run = repo.get(conn, scan_id)
    if run is None:
        raise NotFoundError(f"Scan {scan_id} not found", scan_id=scan_id)
    return public(run)


SCAN_ORDER = repo.SCAN_ORDER
EVENT_ORDER = asset_repo.EVENT_ORDER


def list_scans(
    ctx: Context,
    actor: Principal,
    limit: int,
    offset: int,
    source: str | None = None,
    after: Key | None = None,
) -> tuple[list[dict[str, Any]], int]:
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
) -> tuple[list[dict[str, Any]], int]:
    """A scan's discovery events in order: from ``offset``, or after the key ``after`` of
    :data:`EVENT_ORDER`."""
    get_scan(ctx, actor, scan_id)
    with ctx.db.read() as conn:
        return asset_repo.events_for_scan(conn, scan_id, limit, offset, after)
