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
