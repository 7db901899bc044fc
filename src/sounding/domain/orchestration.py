"""Workflow runs as plain records: statuses, executions, steps, task attempts and run events.

These are what run storage keeps (``sounding.orchestration.storage`` defines the protocol; an SQL
implementation in ``sounding.store`` satisfies it structurally without importing orchestration).
Everything here is JSON-friendly: ``spec``, ``params``, ``result`` and ``data`` hold only plain
JSON values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SINGLE_TASK = "*"
"""The task key of a step that does not fan out: it runs exactly one task."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class RunStatus(StrEnum):
    """Status of an execution, a step execution or a task attempt.

    The legal transitions per kind are in ``sounding.orchestration.states``.
    """

    PENDING = "pending"
    INITIALIZING = "initializing"
    RUNNING = "running"
    PAUSED = "paused"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SKIPPED}
)
UNFINISHED = frozenset(set(RunStatus) - FINISHED)


class Strategy(StrEnum):
    """How an execution chooses what to start next (see docs/orchestration.md)."""

    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
    GRAPH_BASED = "graph_based"
    PIPELINE = "pipeline"
    ADAPTIVE = "adaptive"


class RunCondition(StrEnum):
    """When a step runs, given how its upstream steps ended."""

    ON_SUCCESS = "on_success"
    ON_FAILURE = "on_failure"
    ALWAYS = "always"


@dataclass(slots=True)
class ExecutionRecord:
    """One run of a workflow. ``spec`` is the workflow document it was started with."""

    id: str
    workflow: str
    spec: dict[str, Any]
    status: RunStatus = RunStatus.PENDING
    params: dict[str, Any] = field(default_factory=dict)
    trigger: str = "manual"
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


@dataclass(slots=True)
class StepRecord:
    """The execution of one step within one execution; its tasks are ``TaskAttemptRecord``s.

    The counts are stored with each status change (exact once the step ended); live counts
    travel in ``progress`` events, and task attempts are the source of truth.
    """

    execution_id: str
    step_id: str
    status: RunStatus = RunStatus.PENDING
    tasks_total: int = 0
    tasks_done: int = 0
    tasks_failed: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None  # why it was skipped, failed or cancelled


@dataclass(frozen=True, slots=True)
class TaskKey:
    """The unique key of a task attempt: at most one record per key, ever."""

    execution_id: str
    step_id: str
    task_key: str
    attempt: int


@dataclass(slots=True)
class TaskAttemptRecord:
    """One attempt of one task (one object of a fanned-out step, or the single task)."""

    execution_id: str
    step_id: str
    task_key: str
    attempt: int
    status: RunStatus = RunStatus.RUNNING
    source: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    result: Any = None
    error: str | None = None
    error_type: str | None = None
    final: bool = False  # no further attempt follows (False while running, or if interrupted)

    @property
    def key(self) -> TaskKey:
        return TaskKey(self.execution_id, self.step_id, self.task_key, self.attempt)


class EventKind(StrEnum):
    EXECUTION_STATUS = "execution_status"
    STEP_STATUS = "step_status"
    TASK_FAILED = "task_failed"
    TASK_RETRYING = "task_retrying"
    CONCURRENCY_ADJUSTED = "concurrency_adjusted"
    CANCEL_REQUESTED = "cancel_requested"
    PROGRESS = "progress"  # live only, never stored


@dataclass(slots=True)
class RunEvent:
    """Something that happened to an execution. ``seq`` is assigned by the event log."""

    execution_id: str
    kind: EventKind
    step_id: str | None = None
    task_key: str | None = None
    status: RunStatus | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)
    seq: int | None = None
