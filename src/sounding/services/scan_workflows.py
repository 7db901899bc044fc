"""``sounding scan NAME`` as a workflow run: scans are executions like any other.

A scan of source ``shop`` is an execution of the ad-hoc workflow ``scan:shop`` whose steps are
the scan stages the options ask for: ``discover``, then ``profile`` -> ``classify`` (one task per
object, so retries, per-source limits and progress apply object by object), and ``lineage``.
The workflow is stored (a new version when the stages change) so its executions show in
``execution list`` and the insights history; ``workflow list`` hides it unless ``--all``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.orchestration import RunEvent, RunStatus, TaskAttemptRecord
from sounding.domain.profiling import SamplePolicy
from sounding.domain.scans import ScanOptions
from sounding.errors import InvalidInputError
from sounding.orchestration.parsing import parse_workflow
from sounding.services import scans, workflows
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import audit
from sounding.store.repos import workflows as workflow_repo

logger = logging.getLogger(__name__)

PREFIX = "scan:"


def workflow_name(source: str) -> str:
    return f"{PREFIX}{source}"


def is_adhoc(name: str) -> bool:
    return name.startswith(PREFIX)


def scan_spec(source: str, options: ScanOptions) -> dict[str, Any]:
    """The workflow document of one scan: the stages the options ask for, as steps."""
    cfg: dict[str, Any] = {"source": source}
    steps: list[dict[str, Any]] = [{"id": "discover", "type": "discover", "config": cfg}]
    last = "discover"
    if options.profile:
        steps.append(
            {"id": "profile", "type": "profile", "depends_on": [last],
             "config": {**cfg, "sample": options.sample}}
        )  # fmt: skip
        last = "profile"
    if options.classify:
        steps.append({"id": "classify", "type": "classify", "depends_on": [last], "config": cfg})
    steps.append({"id": "lineage", "type": "lineage", "depends_on": ["discover"], "config": cfg})
    return {
        "name": workflow_name(source),
        "description": f"Ad-hoc scan of source '{source}' (sounding scan)",
        "strategy": "graph_based",
        "steps": steps,
    }


def start(
    ctx: Context,
    actor: Principal,
    source: str,
    options: ScanOptions,
    on_event: Callable[[RunEvent], None] | None = None,
) -> tuple[str, Callable[[], None]]:
    """Store the scan's workflow and start an execution of it. ``on_event`` (called on the
    engine thread) receives every live event from the first. Returns the execution id and the
    function that unsubscribes ``on_event``."""
    actor.require(Permission.SCAN_RUN)
    row = get_row(ctx, source)  # NotFoundError before anything starts
    if row["kind"] == "external":
        raise InvalidInputError(
            f"Source '{source}' holds datasets reported by OpenLineage; it has no connection "
            "to scan",
            source=source,
        )
    spec = parse_workflow(scan_spec(source, options), step_types=ctx.step_types.names())
    engine = ctx.engine
    execution_id = uuid.uuid4().hex
    with ctx.db.write() as conn:
        stored, changed = workflow_repo.put(conn, spec.name, dict(spec.document), actor=actor.name)
        if changed:
            audit.record(conn, actor.name, "workflow.apply", "workflow", spec.name,
                         {"version": stored["version"]})  # fmt: skip
        audit.record(conn, actor.name, "scan.start", "source", source,
                     {"execution_id": execution_id, "workflow": spec.name})  # fmt: skip
    unsubscribe = engine.listen(execution_id, on_event) if on_event else _nothing
    try:
        engine.call(engine.engine.submit(spec, trigger="scan", execution_id=execution_id))
    except BaseException:
        unsubscribe()
        raise
    return execution_id, unsubscribe


def _nothing() -> None:
    return None


def summary(
    ctx: Context, actor: Principal, execution_id: str, options: ScanOptions
) -> dict[str, Any]:
    """The finished scan: its discovery run (report, counts) with the profile and classify
    stages and every failed task folded into the report, plus the execution."""
    execution = workflows.get_execution(ctx, actor, execution_id)
    engine = ctx.engine
    attempts = engine.call(engine.engine.storage.list_task_attempts(execution_id))
    final = _final_attempts(attempts)
    source = execution["workflow"][len(PREFIX) :]
    discovered = final.get(("discover", "*"))
    out: dict[str, Any]
    if discovered is not None and discovered.status is RunStatus.COMPLETED:
        out = scans.get_scan(ctx, actor, int(discovered.result["scan_id"]))
    else:
        out = {"id": None, "source": source, "status": "failed", "report": {}}
    report = out["report"] = dict(out["report"])
    report.setdefault("failures", [])
    stages = report["stages"] = dict(report.get("stages") or {})
    steps = {s["id"]: s for s in execution["steps"]}
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
    if execution["status"] != RunStatus.COMPLETED.value:
        out["status"] = execution["status"]
    out["error"] = _error(execution, failed)
    out["execution"] = {
        "id": execution_id,
        "workflow": execution["workflow"],
        "status": execution["status"],
        "steps": execution["steps"],
    }
    return out


def _final_attempts(attempts: list[TaskAttemptRecord]) -> dict[tuple[str, str], Any]:
    """The last attempt of every task."""
    last: dict[tuple[str, str], TaskAttemptRecord] = {}
    for a in attempts:
        key = (a.step_id, a.task_key)
        if key not in last or a.attempt >= last[key].attempt:
            last[key] = a
    return last


def _count(final: dict[tuple[str, str], Any], step: str, status: RunStatus | None = None) -> int:
    return sum(1 for (s, _), a in final.items() if s == step and status in (None, a.status))


def _error(execution: dict[str, Any], failed: list[TaskAttemptRecord]) -> str | None:
    if execution["status"] == RunStatus.COMPLETED.value:
        return None
    if failed:
        first = failed[0]
        return f"{first.step_id}: {first.error}"
    reasons = [f"{s['id']}: {s['reason']}" for s in execution["steps"] if s.get("reason")]
    return "; ".join(reasons) or execution.get("error") or execution["status"]
