"""In-memory state of one execution's steps and tasks, and how it is rebuilt from storage.

Pure bookkeeping, no I/O: :class:`~sounding.orchestration.core.ExecutionCore` owns these objects
and decides on them; the driver keeps every handle (asyncio jobs, timers, dispatcher tickets,
cancel events) in its own maps, keyed by step id and task key.
Per-object fan-out lives here too: :func:`ready_keys` decides which object keys a downstream
``per_object`` step may start, given how far its upstream steps got.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sounding.domain.orchestration import (
    SINGLE_TASK,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
)
from sounding.orchestration.spec import StepSpec, TaskSpec

UPSTREAM_FAILED = "upstream_failed"
CONDITION_NOT_MET = "condition_not_met"
SKIP_IF = "skip_if"
CANCELLED = "cancelled"


@dataclass(eq=False, slots=True)
class TaskState:
    step: StepState
    spec: TaskSpec
    status: RunStatus = RunStatus.PENDING
    attempt: int = 0  # number of the latest attempt (0 = none yet)
    failures: int = 0  # failed attempts in this run, counted against the retry policy
    result: Any = None
    retry_wait: bool = False  # a failed attempt waits out its back-off before the next
    # how the running attempt ended, while its record is being stored:
    # (status, result, error, retried, latency)
    ended: tuple[RunStatus, Any, str | None, bool, float] | None = None

    @property
    def key(self) -> str:
        return self.spec.key


@dataclass(eq=False, slots=True)
class StepState:
    spec: StepSpec
    record: StepRecord
    upstream: list[StepState] = field(default_factory=list)
    downstream: list[StepState] = field(default_factory=list)
    has_plan: bool = False  # the step's handler returned its plan (in this process)
    per_object: bool = False
    tasks: dict[str, TaskState] = field(default_factory=dict)
    held: dict[str, TaskSpec] = field(default_factory=dict)  # pipeline: wait for upstream end
    waiting_keys: dict[str, None] = field(default_factory=dict)  # offered, upstream not ready
    dropped_keys: int = 0  # objects that failed upstream (pipeline)
    error: str | None = None  # listing the tasks failed
    planned: bool = False  # every task is known
    busy: bool = False  # being planned (the driver runs its handler), skipped or finished
    unfinished: int = 0
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    history: dict[str, list[TaskAttemptRecord]] = field(default_factory=dict)
    source: str | None = None  # the step's source (``spec.source``, worked out once)

    def __post_init__(self) -> None:
        self.source = self.spec.source

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def status(self) -> RunStatus:
        return self.record.status

    @property
    def finished(self) -> bool:
        return self.record.status.finished

    @property
    def failedish(self) -> bool:
        """Failed, cancelled, or skipped because something upstream failed."""
        st = self.record.status
        return st in (RunStatus.FAILED, RunStatus.CANCELLED) or (
            st is RunStatus.SKIPPED and self.record.reason == UPSTREAM_FAILED
        )

    def sync_counts(self) -> None:
        self.record.tasks_total = len(self.tasks) + len(self.held)
        self.record.tasks_done = self.done
        self.record.tasks_failed = self.failed


def ready_keys(step: StepState, keys: list[str]) -> list[str]:
    """Of ``keys`` offered to a per-object step, those whose upstream work is complete.

    Object X is ready when every upstream step either completed its task X, or has ended and
    has no task X. If an upstream task X failed or was cancelled, X is dropped. Keys not yet
    decidable wait in ``step.waiting_keys`` and are offered again when an upstream step ends.
    The single-task key ``*`` stands for "no fan-out": it only runs if no upstream produced
    real objects.
    """
    out = []
    for key in keys:
        if key in step.tasks:
            continue
        verdict = _verdict(step, key)
        if verdict == "wait":
            step.waiting_keys[key] = None
            continue
        step.waiting_keys.pop(key, None)
        if verdict == "drop":
            step.dropped_keys += 1
        elif verdict == "ready":
            out.append(key)
    return out


def _verdict(step: StepState, key: str) -> str:
    for up in step.upstream:
        task = up.tasks.get(key)
        if task is not None and task.status is RunStatus.COMPLETED:
            continue
        if task is not None and task.status in (RunStatus.FAILED, RunStatus.CANCELLED):
            return "drop"
        if not up.finished:
            return "wait"
    if key == SINGLE_TASK and any(k != SINGLE_TASK for up in step.upstream for k in up.tasks):
        return "ignore"
    return "ready"


def upstream_keys(step: StepState) -> list[str]:
    """Keys of every completed upstream task, in upstream order, without duplicates."""
    seen: dict[str, None] = {}
    for up in step.upstream:
        for key, task in up.tasks.items():
            if task.status is RunStatus.COMPLETED:
                seen[key] = None
    if not step.upstream:
        seen[SINGLE_TASK] = None
    return list(seen)


def restore_task(task: TaskState, window_start: datetime | None) -> bool:
    """Apply the step's recorded attempts for this key; True if the task needs no new run.

    A completed attempt is final. Failed attempts started inside this run's window (since the
    execution last started or was re-run) count against the retry budget; an attempt marked
    ``final`` failed or cancelled ends the task as it ended. Interrupted attempts are retried.
    """
    step = task.step
    history = step.history.pop(task.key, None)
    if not history:
        return False
    task.attempt = max(a.attempt for a in history)
    completed = next((a for a in history if a.status is RunStatus.COMPLETED), None)
    if completed is not None:
        task.status, task.result = RunStatus.COMPLETED, completed.result
        step.done += 1
        return True
    current = [a for a in history if window_start is None or a.started_at >= window_start]
    task.failures = sum(1 for a in current if a.status is RunStatus.FAILED)
    last = max(current, key=lambda a: a.attempt) if current else None
    if last is not None and last.final and last.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        task.status = last.status
        if last.error_type == QUARANTINED_TYPE:
            step.error = f"task '{task.key}' {last.error}"
        if last.status is RunStatus.FAILED:
            step.failed += 1
        else:
            step.cancelled += 1
        return True
    return False


def restore_finished_step(step: StepState) -> None:
    """Rebuild the tasks of a step that ended before the restart (for downstream inputs)."""
    for key in list(step.history):
        task = TaskState(step, TaskSpec(key))
        if restore_task(task, None):
            step.tasks[key] = task
    step.planned = True


INTERRUPTED = "interrupted: the engine stopped before the attempt ended"
INTERRUPTED_TYPE = "Interrupted"  # the process died while the attempt ran
STOPPED_TYPE = "Stopped"  # the engine shut down cleanly while the attempt ran
QUARANTINED_TYPE = "Quarantined"


def crash_count(
    attempts: list[TaskAttemptRecord], last: TaskAttemptRecord, window_start: datetime | None
) -> int:
    """How many attempts of ``last``'s task, in this run's window, ended because the process
    died under them (``last`` included): not a clean shutdown, not the task's own error."""
    return sum(
        1
        for a in attempts
        if a.step_id == last.step_id
        and a.task_key == last.task_key
        and a.error_type == INTERRUPTED_TYPE
        and (window_start is None or a.started_at >= window_start)
    )


def quarantine_message(crashes: int) -> str:
    return (
        f"quarantined: the process running this task died {crashes} times while it ran "
        "(a crash, os._exit or a kill); it is not resumed again (SOUNDING_TASK_MAX_CRASHES; "
        "retry the execution to run it anew)"
    )


def close_interrupted(
    attempts: list[TaskAttemptRecord],
    window_start: datetime | None,
    max_crashes: int,
    now: datetime,
) -> list[TaskAttemptRecord]:
    """Close the attempts a crash left ``running`` (changed in place); returns them.

    Each is cancelled, not final, so its task runs again, unless the task was interrupted
    ``max_crashes`` times in this run's window: then it is quarantined (failed for good), so a
    task that kills its process is not resumed forever.
    """
    closed = []
    for a in attempts:
        if a.status is not RunStatus.RUNNING:
            continue
        a.status, a.finished_at, a.final = RunStatus.CANCELLED, now, False
        a.error, a.error_type = INTERRUPTED, INTERRUPTED_TYPE
        crashes = crash_count(attempts, a, window_start)
        if crashes >= max_crashes:
            a.status, a.final, a.error_type = RunStatus.FAILED, True, QUARANTINED_TYPE
            a.error = quarantine_message(crashes)
        closed.append(a)
    return closed
