"""What the execution monitor (the web UI's execution page) shows, as typed records. No I/O.

An execution of 10,000 tasks is never shown whole: tasks come a page at a time
(:class:`TaskPage`), the timeline is one bar per step plus a window of the latest tasks
(:class:`Timeline`), the event log is its tail (:class:`LogEntry`), and live changes travel
as :class:`StepLive` figures, a few times a second at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sounding.domain.executions import ExecutionSummary


@dataclass(frozen=True, slots=True)
class DagNode:
    """A step drawn at a position the server computed (layer = longest path from a root)."""

    id: str
    type: str
    layer: int
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class DagEdge:
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class ExecutionDag:
    nodes: tuple[DagNode, ...]
    edges: tuple[DagEdge, ...]


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One task attempt as the task table shows it."""

    step_id: str
    task_key: str
    attempt: int
    status: str
    source: str | None
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    error: str | None
    result: str | None  # the task's result as JSON, cut to RESULT_CHARS


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of an execution's task attempts (newest first), with counts per status."""

    rows: tuple[TaskRow, ...]
    total: int  # matching the filters
    counts: dict[str, int]  # per status, for the step filter (all statuses)
    page: int
    pages: int
    size: int
    status: str | None
    step: str | None


@dataclass(frozen=True, slots=True)
class TimelineBar:
    """One bar: ``offset`` and ``seconds`` from the start of its own scale."""

    label: str
    step_id: str
    status: str
    offset: float
    seconds: float
    tasks: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """Per step one bar over the whole execution; beside it the latest tasks on their own
    scale (a window, never every task)."""

    started_at: datetime | None
    span: float  # seconds the step scale covers
    steps: tuple[TimelineBar, ...]
    window: tuple[TimelineBar, ...]
    window_span: float
    window_started_at: datetime | None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A stored event of the execution, in words."""

    seq: int
    at: datetime
    kind: str
    step_id: str | None
    task_key: str | None
    status: str | None
    message: str


@dataclass(frozen=True, slots=True)
class StepLive:
    """A step's figures as the live stream sends them (only the fields that changed matter
    to the browser; all are sent for simplicity)."""

    id: str
    status: str | None
    done: int | None
    failed: int | None
    total: int | None
    percent: float | None
    eta_seconds: float | None


@dataclass(frozen=True, slots=True)
class ExecutionsPage:
    """A page of executions, newest first; ``has_next`` says whether another page follows."""

    items: tuple[ExecutionSummary, ...]
    page: int
    size: int
    has_next: bool
    workflow: str | None
    status: str | None
