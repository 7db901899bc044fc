"""System health: the store, the engine (queue, running tasks, per-source load, executor) and
the scheduler (running, next ticks), as this process sees them."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from sounding import __version__
from sounding.domain.auth import Permission, Principal
from sounding.domain.credentials import redact
from sounding.domain.health import (
    ExecutionLoad,
    ExecutionLoadDetail,
    ExecutorDescription,
    ExecutorState,
    QueueState,
    RuntimeHealth,
    ScheduledTick,
    SchedulerState,
    ScheduleState,
    SourceLoad,
    SourceLoadDetail,
    StoreState,
    SystemHealthReport,
)
from sounding.errors import SoundingError
from sounding.orchestration.load import EngineLoad, SourceLoadNow
from sounding.orchestration.load import ExecutionLoad as EngineExecutionLoad
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.scheduling import next_tick
from sounding.services import executors
from sounding.services.context import Context
from sounding.store.repos import workflows as workflow_repo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Liveness:
    """What ``/healthz`` answers, without authentication."""

    status: str  # "ok", or "degraded" while the metadata store does not answer
    version: str
    store: bool  # whether the metadata store answered a query


def liveness(ctx: Context) -> Liveness:
    """Whether this process can reach its metadata store (a load balancer's probe: cheap, no
    engine or scheduler state, no permission needed)."""
    reachable = _store(ctx).reachable
    return Liveness("ok" if reachable else "degraded", __version__, reachable)


def system_health(ctx: Context, actor: Principal) -> SystemHealthReport:
    """``status`` is ``ok``, or ``degraded`` with the reasons in ``problems``."""
    actor.require(Permission.CATALOG_READ)
    now = datetime.now(UTC)
    problems: list[str] = []
    store = _store(ctx)
    if not store.reachable:
        problems.append(f"metadata store unreachable: {store.error}")
    host = ctx.engine

    async def snapshot() -> EngineLoad:
        return host.engine.load()

    load = host.call(snapshot())
    executor = host.call(executors.describe(host.executor))
    if executor.error:
        problems.append(f"executor {executor.name}: {executor.error}")
    elif executor.workers == 0:
        problems.append(f"executor {executor.name} has no workers")
    if not load.started:
        problems.append("the orchestration engine is not started")
    names = host.registry.names()
    scheduler = ScheduleState(False, 0, [])
    if store.reachable:
        scheduler = _scheduler(ctx, now, names)
    overdue = [t.workflow for t in scheduler.next if t.overdue_seconds > 60]
    if overdue and not scheduler.running:
        problems.append(f"scheduled ticks are overdue and no scheduler runs: {overdue}")
    return SystemHealthReport(
        status="degraded" if problems else "ok",
        problems=problems,
        version=__version__,
        at=now,
        store=store,
        queue=QueueState(load.queued, load.retry_wait),
        running_tasks=load.running,
        executor=ExecutorState(
            name=load.executor,
            # a lazy (Dask) executor outside the server starts with the first task
            started=load.started and executor.started,
            workers=executor.workers,
            scheduler=executor.scheduler,
            max_concurrency=load.max_concurrency,
            utilization=(
                round(load.running / load.max_concurrency, 4) if load.max_concurrency else None
            ),
            error=executor.error,
        ),
        sources=[_source(s, load) for s in load.sources],
        executions=[_execution_detail(e) for e in load.executions],
        scheduler=scheduler,
    )


def _store(ctx: Context) -> StoreState:
    backend = ctx.db.engine.dialect.name
    try:
        with ctx.db.read() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # report, don't raise: this is the probe
        logger.warning("Health check: store unreachable: %s", exc)
        return StoreState(False, backend, redact(str(exc)))  # a message may quote the DSN
    return StoreState(True, backend, None)


def _source(s: SourceLoadNow, load: EngineLoad) -> SourceLoadDetail:
    caps = {
        e.id: e.per_source_limit[s.source]
        for e in load.executions
        if s.source in e.per_source_limit
    }
    utilization = round(s.running / s.limit, 4) if s.limit else None
    return SourceLoadDetail(s.source, s.running, s.queued, s.limit, utilization, caps)


def _execution_detail(e: EngineExecutionLoad) -> ExecutionLoadDetail:
    return ExecutionLoadDetail(
        id=e.id,
        workflow=e.workflow,
        status=e.status,
        strategy=e.strategy,
        queued=e.queued,
        retry_wait=e.retry_wait,
        running=e.running,
        per_source_limit=dict(e.per_source_limit),
        elapsed_seconds=e.elapsed_seconds,
    )


def _scheduler(ctx: Context, now: datetime, step_types: Collection[str]) -> ScheduleState:
    found = ctx.scheduler
    running = found is not None and found.running
    ticks: list[ScheduledTick] = []
    with ctx.db.read() as conn:
        rows = [
            r for r in workflow_repo.list_workflows(conn, enabled=True) if r["spec"].get("schedule")
        ]
        last = {r["name"]: workflow_repo.last_tick(conn, r["name"]) for r in rows}
    for row in rows:
        try:
            schedule = parse_workflow(row["spec"], step_types=step_types).schedule
        except SoundingError as exc:
            logger.warning("Workflow %s has an unreadable schedule: %s", row["name"], exc)
            continue
        if schedule is None:
            continue
        since = last[row["name"]] or row["created_at"]
        due = next_tick(schedule, since)
        ticks.append(
            ScheduledTick(
                workflow=row["name"],
                last_tick=last[row["name"]],
                next_tick=due if due > now else next_tick(schedule, now),
                due=due <= now,
                overdue_seconds=max(0.0, (now - due).total_seconds()),
            )
        )
    ticks.sort(key=lambda t: t.next_tick)
    return ScheduleState(running, found.ticks_started if found is not None else 0, ticks)


# -- the administration page: typed, and never starting the engine --------------------------

SCHEDULER_LAG_WARN = 60.0  # seconds a due tick may wait before health calls it a problem


def runtime_health(ctx: Context, actor: Principal) -> RuntimeHealth:
    """What this server process runs, for the administration page (admins only). Unlike
    :func:`system_health` it reads the engine only when it already runs here
    (``ctx.running_engine``): reading health never starts one."""
    actor.require(Permission.ADMIN)
    now = datetime.now(UTC)
    problems: list[str] = []
    store = _store(ctx)
    if not store.reachable:
        problems.append(f"metadata store unreachable: {store.error}")
    host = ctx.running_engine
    load: EngineLoad | None = None
    executor: ExecutorState | None = None
    if host is None:
        problems.append("the orchestration engine does not run in this server process")
    else:

        async def snapshot() -> EngineLoad:
            return host.engine.load()

        load = host.call(snapshot())
        executor = _executor_state(load, host.call(executors.describe(host.executor)))
        if executor.error:
            problems.append(f"executor {executor.name}: {executor.error}")
        elif executor.workers == 0:
            problems.append(f"executor {executor.name} has no workers")
    scheduler = SchedulerState(False, 0, 0.0)
    if store.reachable:
        scheduler = _scheduler_state(_scheduler(ctx, now, ctx.step_types.names()))
    if scheduler.lag_seconds > SCHEDULER_LAG_WARN:
        late = [t.workflow for t in scheduler.ticks if t.overdue_seconds > SCHEDULER_LAG_WARN]
        runs = "the scheduler is behind" if scheduler.running else "no scheduler runs"
        problems.append(f"scheduled ticks are overdue ({runs}): {', '.join(late)}")
    return RuntimeHealth(
        status="degraded" if problems else "ok",
        problems=problems,
        at=now,
        version=__version__,
        store_backend=store.backend,
        store_reachable=store.reachable,
        store_error=store.error,
        engine_running=host is not None,
        queued=load.queued if load else None,
        retry_wait=load.retry_wait if load else None,
        running_tasks=load.running if load else None,
        executor=executor,
        sources=[_source_load(s) for s in load.sources] if load else [],
        executions=[_execution(e) for e in load.executions] if load else [],
        scheduler=scheduler,
    )


def _executor_state(load: EngineLoad, described: ExecutorDescription) -> ExecutorState:
    return ExecutorState(
        name=described.name or load.executor,
        started=load.started and described.started,
        workers=described.workers,
        scheduler=described.scheduler,
        max_concurrency=load.max_concurrency,
        utilization=(
            round(load.running / load.max_concurrency, 4) if load.max_concurrency else None
        ),
        error=described.error,
    )


def _source_load(s: SourceLoadNow) -> SourceLoad:
    utilization = round(s.running / s.limit, 4) if s.limit else None
    return SourceLoad(s.source, s.running, s.queued, s.limit, utilization)


def _execution(e: EngineExecutionLoad) -> ExecutionLoad:
    return ExecutionLoad(
        id=e.id,
        workflow=e.workflow,
        status=e.status,
        strategy=e.strategy,
        queued=e.queued,
        retry_wait=e.retry_wait,
        running=e.running,
        elapsed_seconds=round(e.elapsed_seconds, 1),
    )


def _scheduler_state(found: ScheduleState) -> SchedulerState:
    lag = max((t.overdue_seconds for t in found.next if t.due), default=0.0)
    return SchedulerState(found.running, found.ticks_started, round(lag, 1), list(found.next))
