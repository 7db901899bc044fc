"""Task attempts of one execution: queue, run, time out, retry, record, report progress."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from sounding.domain.orchestration import (
    SINGLE_TASK,
    EventKind,
    RunEvent,
    RunStatus,
    Strategy,
    TaskAttemptRecord,
    utcnow,
)
from sounding.orchestration.adaptive import AimdController
from sounding.orchestration.events import eta_seconds, fraction_done
from sounding.orchestration.executors.base import TaskCall
from sounding.orchestration.limits import Constraint, Ticket
from sounding.orchestration.retry import backoff_delay, should_retry
from sounding.orchestration.state import STOPPED_TYPE, StepState, TaskState, restore_task
from sounding.orchestration.steps import (
    TaskAbortedError,
    TaskCancelledError,
    TaskContext,
    TaskSpec,
)

if TYPE_CHECKING:
    from sounding.orchestration.run import ExecutionRun

logger = logging.getLogger(__name__)

RS = RunStatus
STOP_RECORD_TIMEOUT = 1.0  # seconds a shutdown waits to record an abandoned attempt


Outcome = tuple[RunStatus, Any, BaseException | None]


class TaskRunner:
    def __init__(self, run: ExecutionRun) -> None:
        self.run = run
        self.rt = run.rt
        self._demands: dict[tuple[str, str | None], list[tuple[Constraint, float]]] = {}
        self.constraint_names: list[str] = []

    # -- queueing --

    def create(self, s: StepState, spec: TaskSpec) -> None:
        """Add a task to a step: restore it from earlier attempts, or queue it."""
        task = TaskState(s, spec)
        s.tasks[spec.key] = task
        if restore_task(task, self.run.record.started_at):
            if task.status is RS.COMPLETED:
                self._completed_downstream(task)
            return
        s.unfinished += 1
        self.enqueue(task)

    def enqueue(self, task: TaskState) -> None:
        task.status = RS.PENDING
        s = task.step
        priority = task.spec.priority if task.spec.priority is not None else s.spec.priority
        self.rt.dispatcher.submit(priority, self._demands_of(task), (self, task))

    def _demands_of(self, task: TaskState) -> list[tuple[Constraint, float]]:
        s = task.step
        source = task.spec.source or s.spec.source
        cached = self._demands.get((s.id, source))
        if cached is not None:
            return cached
        d = self.rt.dispatcher
        demands = [(d.global_limit, 1.0), (self.run.limit, 1.0)]
        if source is not None:
            demands += self._source_demands(source)
        if s.spec.pool is not None:
            demands.append((d.constraint(f"pool:{s.spec.pool}"), float(s.spec.pool_slots)))
        for name, amount in s.spec.resources.items():
            if name in self.rt.config.resources:
                demands.append((d.constraint(f"resource:{name}"), amount))
        self._demands[(s.id, source)] = demands
        return demands

    def _source_demands(self, source: str) -> list[tuple[Constraint, float]]:
        spec, d = self.run.spec, self.rt.dispatcher
        out = []
        per_source = spec.limits.per_source
        if spec.strategy is Strategy.ADAPTIVE:
            ctrl = self.run.controllers.setdefault(
                source, AimdController(spec.adaptive, maximum=per_source)
            )
            per_source = ctrl.capacity
        if per_source is not None:
            name = f"execution:{self.run.id}:source:{source}"
            self.constraint_names.append(name)
            out.append((d.constraint(name, per_source), 1.0))
        engine_cap = self.rt.source_limit(source)
        if engine_cap is not None:
            out.append((d.constraint(f"source:{source}", engine_cap), 1.0))
        return out

    def start(self, task: TaskState, ticket: Ticket) -> None:
        """Admitted by the dispatcher: run the attempt as its own asyncio task."""
        task.ticket = ticket
        task.status = RS.RUNNING
        task.job = self.run.spawn(self._attempt(task))

    # -- one attempt --

    async def _attempt(self, task: TaskState) -> None:
        run, s = self.run, task.step
        assert task.ticket is not None and s.plan is not None
        if run.cancelling:
            self.rt.dispatcher.release(task.ticket)
            self._end(task, RS.CANCELLED, None)
            return
        task.attempt += 1
        source = task.spec.source or s.spec.source
        ctx = TaskContext(
            run.id, s.id, task.key, task.attempt, s.spec.config, run.record.params,
            source=source, payload=task.spec.payload, inputs=self._inputs(task),
        )  # fmt: skip
        task.cancel_event = ctx.cancel_event
        record = TaskAttemptRecord(run.id, s.id, task.key, task.attempt, source=source)
        began = time.monotonic()
        outcome: Outcome = (RS.CANCELLED, None, None)
        recorded = False
        try:
            await self.rt.storage.start_task_attempt(record)
            recorded = True
            outcome = await self._call(task, ctx)
        except asyncio.CancelledError:
            if self.rt.aborting:
                if recorded:
                    await self._record_stopped(record)
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            self.rt.dispatcher.release(task.ticket)
        if not recorded:
            self._end(task, RS.CANCELLED, None)
            return
        await self._finish(task, record, outcome, time.monotonic() - began)

    async def _record_stopped(self, record: TaskAttemptRecord) -> None:
        """A clean shutdown abandoned the attempt: say so, so that it does not count as a
        crash of its task (see ``Engine._load``); it runs again at the next start."""
        try:
            async with asyncio.timeout(STOP_RECORD_TIMEOUT):
                await self.rt.storage.finish_task_attempt(
                    record.key, status=RS.CANCELLED, finished_at=utcnow(),
                    error="stopped: the server shut down while the attempt ran",
                    error_type=STOPPED_TYPE, final=False,
                )  # fmt: skip
        except Exception as exc:  # the next start closes it as interrupted instead
            logger.warning("Could not record the stopped attempt %s: %s", record.key, exc)

    async def _call(self, task: TaskState, ctx: TaskContext) -> Outcome:
        s = task.step
        assert s.plan is not None
        call = TaskCall(s.plan.run, ctx, s.spec.resources)
        try:
            async with asyncio.timeout(s.spec.timeout):
                return RS.COMPLETED, await self.rt.executor.run(call), None
        except TimeoutError as exc:
            ctx.cancel_event.set()
            if self.run.cancelling:
                return RS.CANCELLED, None, exc
            return (
                RS.FAILED,
                None,
                exc if str(exc) else TimeoutError(f"Task timed out after {s.spec.timeout:g}s"),
            )
        except TaskCancelledError as exc:
            return RS.CANCELLED, None, exc
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:  # SystemExit, KeyboardInterrupt ...: this task only
            if ctx.cancelled and self.run.cancelling:
                return RS.CANCELLED, None, exc
            if not isinstance(exc, Exception):
                logger.warning(
                    "Execution %s: task '%s/%s' raised %s; failing the task only",
                    self.run.id, s.id, task.key, type(exc).__name__,
                )  # fmt: skip
                exc = TaskAbortedError.of(exc)
            return RS.FAILED, None, exc

    async def _finish(
        self, task: TaskState, record: TaskAttemptRecord, outcome: Outcome, latency: float
    ) -> None:
        run, s = self.run, task.step
        status, value, exc = outcome
        policy = s.spec.retry
        if status is RS.FAILED:
            task.failures += 1
        retry = (
            status is RS.FAILED
            and exc is not None
            and not run.cancelling
            and should_retry(policy, exc, task.failures)
        )
        error = f"{type(exc).__name__}: {exc}" if exc is not None else None
        await self.rt.storage.finish_task_attempt(
            record.key,
            status=status,
            finished_at=utcnow(),
            result=value,
            error=error,
            error_type=type(exc).__name__ if exc is not None else None,
            final=not retry,
        )
        self._observe(task, latency, status)
        if retry:
            delay = backoff_delay(policy, task.failures, self.rt.rng)
            task.status = RS.PENDING
            data = {"attempt": task.attempt, "error": error, "delay": delay}
            await run.event(EventKind.TASK_RETRYING, step_id=s.id, task_key=task.key, data=data)
            loop = asyncio.get_running_loop()
            task.timer = loop.call_later(delay, self._retry, task)
            return
        if status is RS.FAILED:
            data = {"attempt": task.attempt, "error": error}
            await run.event(EventKind.TASK_FAILED, step_id=s.id, task_key=task.key, data=data)
        self._end(task, status, value)

    def _retry(self, task: TaskState) -> None:
        task.timer = None
        if self.run.cancelling:
            self._end(task, RS.CANCELLED, None)
        else:
            self.enqueue(task)

    def _end(self, task: TaskState, status: RunStatus, value: Any) -> None:
        s = task.step
        task.status, task.result = status, value
        s.unfinished -= 1
        if status is RS.COMPLETED:
            s.done += 1
            self._completed_downstream(task)
        elif status is RS.FAILED:
            s.failed += 1
        else:
            s.cancelled += 1
        self.progress(s)
        self.run.maybe_finish_step(s)

    def _completed_downstream(self, task: TaskState) -> None:
        for d in task.step.downstream:
            if d.per_object and d.plan is not None:
                self.run.offer(d, [task.key])

    def _inputs(self, task: TaskState) -> dict[str, Any]:
        out = {}
        for up in task.step.upstream:
            found = up.tasks.get(task.key) or up.tasks.get(SINGLE_TASK)
            if found is not None and found.status is RS.COMPLETED:
                out[up.id] = found.result
        return out

    def _observe(self, task: TaskState, latency: float, status: RunStatus) -> None:
        """Adaptive strategy: feed the source's AIMD controller, apply a new limit."""
        source = task.spec.source or task.step.spec.source
        ctrl = self.run.controllers.get(source) if source is not None else None
        if ctrl is None or status is RS.CANCELLED:
            return
        if ctrl.record(latency, ok=status is RS.COMPLETED):
            name = f"execution:{self.run.id}:source:{source}"
            self.rt.dispatcher.set_capacity(self.rt.dispatcher.constraint(name), ctrl.capacity)
            data = {"source": source, "limit": ctrl.capacity}
            self.run.spawn(self.run.event(EventKind.CONCURRENCY_ADJUSTED, data=data))

    # -- cancel --

    def stop_all(self) -> list[asyncio.Task[Any]]:
        """Withdraw queued tasks, signal running ones; return the running attempts' jobs."""
        jobs: list[asyncio.Task[Any]] = []
        for s in self.run.order:
            s.dropped_keys += len(s.held)
            s.held.clear()
            s.waiting_keys.clear()
            for task in s.tasks.values():
                if task.status is RS.PENDING:
                    if task.timer is not None:
                        task.timer.cancel()
                        task.timer = None
                    if task.ticket is None or self.rt.dispatcher.withdraw(task.ticket):
                        self._end(task, RS.CANCELLED, None)
                elif task.status is RS.RUNNING:
                    if task.cancel_event is not None:
                        task.cancel_event.set()
                    if task.job is not None:
                        jobs.append(task.job)
            if s.plan is not None:
                s.planned = True
                self.run.maybe_finish_step(s)
        return jobs

    def cancel_timers(self) -> None:
        """Forget pending retries (engine shutdown: the next start retries them anyway)."""
        for s in self.run.order:
            for task in s.tasks.values():
                if task.timer is not None:
                    task.timer.cancel()
                    task.timer = None

    # -- progress --

    def progress(self, s: StepState, *, force: bool = False) -> None:
        bus = self.rt.bus
        if not bus.active:
            return
        now = time.monotonic()
        if not force and now - s.last_progress < self.rt.config.progress_interval:
            return
        s.last_progress = now
        data = self.progress_data(s, now)
        bus.publish(RunEvent(self.run.id, EventKind.PROGRESS, step_id=s.id, data=data))

    def progress_data(self, s: StepState, now: float) -> dict[str, Any]:
        """A step's live figures: the ``progress`` event's data, also read by the status
        endpoint so both say the same."""
        run = self.run
        total = len(s.tasks) + len(s.held)
        frac = fraction_done(s.done + s.failed + s.cancelled, total, s.planned or s.finished)
        overall = sum(
            1.0 if x.finished else fraction_done(x.done + x.failed, len(x.tasks), x.planned)
            for x in run.order
        ) / len(run.order)
        started = s.started_mono if s.started_mono else now
        return {
            "done": s.done,
            "failed": s.failed,
            "total": total,
            "total_known": s.planned or s.finished,
            "percent": round(100 * frac, 1),
            "eta_seconds": eta_seconds(now - started, frac) if not s.finished else 0.0,
            "execution_percent": round(100 * overall, 1),
            "execution_eta_seconds": eta_seconds(now - run.started_mono, overall),
        }
