"""System health as the administration page shows it: typed records of what this server
process runs (engine queue and tasks, per-source load, executor, scheduler). No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SourceLoad:
    """Tasks on one source now, against its cap across executions (None: no cap)."""

    source: str
    running: int
    queued: int
    limit: int | None
    utilization: float | None  # running / limit


@dataclass(frozen=True, slots=True)
class ExecutionLoad:
    """One execution this engine runs now."""

    id: str
    workflow: str
    status: str
    strategy: str
    queued: int
    retry_wait: int
    running: int
    elapsed_seconds: float


@dataclass(frozen=True, slots=True)
class ExecutorDescription:
    """What an executor says of itself: a lazy Dask executor not started yet reports no
    workers; an unreachable Dask scheduler reports its error."""

    name: str
    scheduler: str | None  # a Dask scheduler's address
    workers: int | None
    started: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ExecutorState:
    name: str
    started: bool
    workers: int | None
    scheduler: str | None  # a Dask scheduler's address
    max_concurrency: int | None
    utilization: float | None  # running tasks / max_concurrency
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduledTick:
    workflow: str
    last_tick: datetime | None
    next_tick: datetime
    due: bool
    overdue_seconds: float


@dataclass(frozen=True, slots=True)
class SchedulerState:
    running: bool
    ticks_started: int
    lag_seconds: float  # how late the most overdue due tick is (0: none is due)
    ticks: list[ScheduledTick] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RuntimeHealth:
    """``status`` is ``ok``, or ``degraded`` with the reasons in ``problems``; the engine
    figures are None when no engine runs in this process (nothing is started to read them)."""

    status: str
    problems: list[str]
    at: datetime
    version: str
    store_backend: str
    store_reachable: bool
    store_error: str | None
    engine_running: bool
    queued: int | None
    retry_wait: int | None
    running_tasks: int | None
    executor: ExecutorState | None
    sources: list[SourceLoad]
    executions: list[ExecutionLoad]
    scheduler: SchedulerState


# -- what ``GET /api/v1/insights/health`` answers (``SystemHealth`` in api/schemas) ----------


@dataclass(frozen=True, slots=True)
class StoreState:
    """Whether the metadata store answered a query, and the redacted error when not."""

    reachable: bool
    backend: str
    error: str | None


@dataclass(frozen=True, slots=True)
class QueueState:
    queued: int
    retry_wait: int  # failed attempts waiting for their back-off


@dataclass(frozen=True, slots=True)
class SourceLoadDetail:
    """Tasks on one source now, its cap across executions and each execution's own cap."""

    source: str
    running: int
    queued: int
    limit: int | None
    utilization: float | None
    execution_limits: dict[str, int | None]  # cap per execution id


@dataclass(frozen=True, slots=True)
class ExecutionLoadDetail:
    """One execution this engine runs now, with its cap per source it uses."""

    id: str
    workflow: str
    status: str
    strategy: str
    queued: int
    retry_wait: int
    running: int
    per_source_limit: dict[str, int | None]
    elapsed_seconds: float


@dataclass(frozen=True, slots=True)
class ScheduleState:
    """Whether a scheduler runs here, and the next tick of every scheduled workflow."""

    running: bool
    ticks_started: int
    next: list[ScheduledTick]


@dataclass(frozen=True, slots=True)
class SystemHealthReport:
    """The store, the engine (queue, running tasks, per-source load, executor) and the
    scheduler as this process sees them; ``degraded`` with the reasons in ``problems``."""

    status: str
    problems: list[str]
    version: str
    at: datetime
    store: StoreState
    queue: QueueState
    running_tasks: int
    executor: ExecutorState
    sources: list[SourceLoadDetail]
    executions: list[ExecutionLoadDetail]
    scheduler: ScheduleState
