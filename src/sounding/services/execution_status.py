"""What ``GET /api/v1/executions/{id}``, ``execution show`` and ``workflow run`` say about an
execution's steps beyond their status: why a failed step failed (its first task errors, bounded)
and, while the execution runs in this process, the live done/total/failed figures and ETA that
its ``progress`` events carry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sounding.domain.executions import ExecutionProgress, StepError, StepErrors, StepView
from sounding.domain.orchestration import RunStatus, StepRecord, TaskAttemptRecord

__all__ = ["StepError", "StepErrors", "error_lines", "execution_progress", "step_errors"]

logger = logging.getLogger(__name__)

ERRORS_PER_STEP = 3
"""How many task errors a failed step shows (the first ones); ``errors_total`` counts all."""
MESSAGE_CHARS = 500
"""Longer error messages are cut to this many characters."""


def _split(error: str, error_type: str | None) -> tuple[str, str]:
    """``"KeyError: 'x'"`` stored with type ``KeyError`` -> (``KeyError``, ``'x'``)."""
    kind = error_type or "Error"
    prefix = f"{kind}: "
    message = error[len(prefix) :] if error.startswith(prefix) else error
    return kind, _cut(message)


def _cut(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"


def step_errors(
    steps: Iterable[StepRecord], attempts: Iterable[TaskAttemptRecord]
) -> dict[str, StepErrors]:
    """For every failed step: its tasks' final errors in task order (the first
    ``ERRORS_PER_STEP``) and how many there are; a step that failed while being planned has
    its reason as the one error."""
    failed = {s.step_id: s for s in steps if s.status is RunStatus.FAILED}
    found: dict[str, list[StepError]] = {step_id: [] for step_id in failed}
    for a in attempts:
        if a.step_id in found and a.status is RunStatus.FAILED and a.final and a.error:
            kind, message = _split(a.error, a.error_type)
            found[a.step_id].append(StepError(a.task_key, kind, message))
    out: dict[str, StepErrors] = {}
    for step_id, errors in found.items():
        reason = failed[step_id].reason
        if not errors and reason:
            kind, _, message = reason.partition(": ")
            if not message:
                kind, message = "Error", reason
            errors = [StepError(None, kind, _cut(message))]
        out[step_id] = StepErrors(tuple(errors[:ERRORS_PER_STEP]), len(errors))
    return out


def step_view(
    record: StepRecord,
    errors: StepErrors | None,
    live: Mapping[str, Any] | None,
) -> StepView:
    """One step as the API shows it. ``live`` (the step's progress figures, when the execution
    runs in this process) replaces the counts stored at the last status change."""
    finished = record.status.finished
    if live is not None and not finished:
        total, done, failed = live["total"], live["done"], live["failed"]
        percent, eta = live["percent"], live["eta_seconds"]
    else:
        total, done, failed = record.tasks_total, record.tasks_done, record.tasks_failed
        percent, eta = (100.0, 0.0) if finished else (None, None)
    return StepView(
        id=record.step_id,
        status=record.status.value,
        tasks_total=total,
        tasks_done=done,
        tasks_failed=failed,
        percent=percent,
        eta_seconds=eta,
        started_at=record.started_at,
        finished_at=record.finished_at,
        reason=record.reason,
        errors=list(errors.errors) if errors else [],
        errors_total=errors.total if errors else 0,
    )


def execution_progress(
    live: Mapping[str, Mapping[str, Any]] | None,
) -> ExecutionProgress | None:
    """The execution's overall percent and ETA (the same in every step's figures)."""
    if not live:
        return None
    first = next(iter(live.values()))
    return ExecutionProgress(
        percent=first["execution_percent"], eta_seconds=first["execution_eta_seconds"]
    )


def error_lines(steps: Iterable[StepView]) -> list[str]:
    """Human lines for the CLI: ``step/task: Type: message``, then ``... and N more``."""
    lines = []
    for s in steps:
        for e in s.errors:
            where = f"{s.id}/{e.task_key}" if e.task_key else s.id
            lines.append(f"{where}: {e.error_type}: {e.message}")
        more = s.errors_total - len(s.errors)
        if more > 0:
            lines.append(f"{s.id}: ... and {more} more failed task(s)")
    return lines
