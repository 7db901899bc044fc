"""A scan is an execution: ``POST /api/v1/scans``, ``POST /api/v1/sources/{name}/scans`` and
``sounding scan NAME`` all start one here.

A scan of source ``shop`` is an execution of the ad-hoc workflow ``scan:shop`` whose steps are
the stages of :data:`scan_stages.STAGES` its options ask for: ``discover``, then ``profile`` ->
``classify`` (one task per object, so retries, per-source limits and progress apply object by
object), and ``lineage``. The workflow is stored (a new version when the stages change) so its
executions show in ``execution list`` and the insights history; ``workflow list`` hides it
unless ``--all``. The scan run (integer id) the ``discover`` step writes is created with the
execution, so ``/api/v1/scans/{id}`` answers from the start (an alias of the execution).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.executions import ExecutionDetail
from sounding.domain.orchestration import RunEvent, RunStatus, TaskAttemptRecord
from sounding.domain.profiling import SamplePolicy
from sounding.domain.scans import ScanExecution, ScanOptions, ScanRun, ScanSummary
from sounding.errors import SoundingError
from sounding.orchestration.parsing import parse_workflow
from sounding.services import scan_stages, scans, workflows
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos import workflows as workflow_repo

logger = logging.getLogger(__name__)

PREFIX = scan_stages.WORKFLOW_PREFIX


def workflow_name(source: str) -> str:
    return f"{PREFIX}{source}"


def is_adhoc(name: str) -> bool:
    return name.startswith(PREFIX)


def scan_spec(source: str, options: ScanOptions) -> dict[str, Any]:
    """The workflow document of one scan: the stages the options ask for, as steps."""
    stages = scan_stages.wanted(options)
    present = {stage.name for stage in stages}
    steps: list[dict[str, Any]] = []
    for stage in stages:
        step: dict[str, Any] = {"id": stage.name, "type": stage.name}
        after = next((name for name in stage.after if name in present), None)
        if after is not None:
            step["depends_on"] = [after]
        step["config"] = {"source": source, **stage.config(options)}
        steps.append(step)
    return {
        "name": workflow_name(source),
        "description": f"Ad-hoc scan of source '{source}' (sounding scan)",
        "strategy": "graph_based",
        "steps": steps,
    }


@dataclass(frozen=True, slots=True)
class StartedScan:
    """A started scan: its execution, its scan run (the alias) and the function that
    unsubscribes the ``on_event`` listener given to :func:`start`."""

    execution_id: str
    scan_id: int
    unsubscribe: Callable[[], None]


def start(
    ctx: Context,
    actor: Principal,
    source: str,
    options: ScanOptions,
    on_event: Callable[[RunEvent], None] | None = None,
) -> StartedScan:
    """Store the scan's workflow, create its scan run and start an execution of it (409 while
    the source's last scan is active). ``on_event`` (called on the engine thread) receives
    every live event from the first."""
    actor.require(Permission.SCAN_RUN)
    execution_id = uuid.uuid4().hex
    scan_id = scans.create(ctx, actor, source, execution_id)  # 404 / 409 / 422 first
    try:
        engine = ctx.engine
        spec = parse_workflow(scan_spec(source, options), step_types=ctx.step_types.names())
        with ctx.db.write() as conn:
            stored, changed = workflow_repo.put(
                conn, spec.name, dict(spec.document), actor=actor.name
            )
            if changed:
                audit.record(conn, actor.name, "workflow.apply", "workflow", spec.name,
                             {"version": stored["version"]})  # fmt: skip
        unsubscribe = engine.listen(execution_id, on_event) if on_event else _nothing
        try:
            engine.call(engine.engine.submit(spec, trigger="scan", execution_id=execution_id))
        except BaseException:
            unsubscribe()
            raise
    except SoundingError as exc:
        scans.abandon(ctx, scan_id, exc.message)
        raise
    except BaseException as exc:
        scans.abandon(ctx, scan_id, f"Internal error: {exc!r}")
        raise
    return StartedScan(execution_id, scan_id, unsubscribe)


def start_public(
    ctx: Context, actor: Principal, source: str, options: ScanOptions | None = None
) -> ScanRun:
    """Start a scan (the source's default stages unless ``options``); returns its scan run,
    which names the execution (``execution_id``)."""
    options = options or scans.options_for(ctx, source)
    started = start(ctx, actor, source, options)
    return scans.get_scan(ctx, actor, started.scan_id)


def _nothing() -> None:
    return None


def summary(ctx: Context, actor: Principal, execution_id: str, options: ScanOptions) -> ScanSummary:
    """The finished scan: its discovery run (report, counts) with the profile and classify
    stages and every failed task folded into the report, plus the execution."""
    execution = workflows.get_execution(ctx, actor, execution_id)
    engine = ctx.engine
    attempts = engine.call(engine.engine.storage.list_task_attempts(execution_id))
    final = _final_attempts(attempts)
    source = execution.workflow[len(PREFIX) :]
    run = scans.of_execution(ctx, actor, execution_id, source)
    report = dict(run.report) if run is not None else {}
    report.setdefault("failures", [])
    stages = report["stages"] = dict(report.get("stages") or {})
    steps = {s.id: s for s in execution.steps}
    if "profile" in steps:
        policy = SamplePolicy.parse(options.sample)
        stages["profile"] = {
            "objects": _count(final, "profile"),
            "profiled": _count(final, "profile", RunStatus.COMPLETED),
            "policy": policy.to_dict(),
        }
    if "classify" in steps:
        done = [a for (s, _), a in final.items() if s == "classify" and a.result]
        stages["classify"] = {
            "objects": _count(final, "classify"),
            "classified": len(done),
            "skipped_unchanged": 0,
            "labels": sum(int(a.result.get("classify") or 0) for a in done),
        }
    failed = [a for a in final.values() if a.status is RunStatus.FAILED]
    for a in failed:
        target = a.step_id if a.task_key == "*" else f"{a.step_id} {a.task_key}"
        if a.step_id != "discover":  # discovery's own failures are in its report already
            report["failures"] = [*report["failures"], {
                "target": target, "error": a.error, "type": a.error_type}]  # fmt: skip
            report["failures_total"] = int(report.get("failures_total") or 0) + 1
    status = run.status if run is not None else "failed"
    if execution.status != RunStatus.COMPLETED.value:
        status = execution.status
    ran = ScanExecution(execution_id, execution.workflow, execution.status, execution.steps)
    error = _error(execution, failed)
    if run is None:
        return ScanSummary(
            id=None, source=source, status=status, report=report, error=error, execution=ran
        )
    return ScanSummary(
        id=run.id,
        execution_id=run.execution_id,
        source=run.source,
        kind=run.kind,
        status=status,
        triggered_by=run.triggered_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        objects_total=run.objects_total,
        objects_done=run.objects_done,
        progress=run.progress,
        report=report,
        error=error,
        execution=ran,
    )


def _final_attempts(
    attempts: list[TaskAttemptRecord],
) -> dict[tuple[str, str], TaskAttemptRecord]:
    """The last attempt of every task."""
    last: dict[tuple[str, str], TaskAttemptRecord] = {}
    for a in attempts:
        key = (a.step_id, a.task_key)
        if key not in last or a.attempt >= last[key].attempt:
            last[key] = a
    return last


def _count(
    final: dict[tuple[str, str], TaskAttemptRecord], step: str, status: RunStatus | None = None
) -> int:
    return sum(1 for (s, _), a in final.items() if s == step and status in (None, a.status))


def _error(execution: ExecutionDetail, failed: list[TaskAttemptRecord]) -> str | None:
    if execution.status == RunStatus.COMPLETED.value:
        return None
    if failed:
        first = failed[0]
        return f"{first.step_id}: {first.error}"
    reasons = [f"{s.id}: {s.reason}" for s in execution.steps if s.reason]
    return "; ".join(reasons) or execution.error or execution.status
