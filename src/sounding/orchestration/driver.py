"""The async driver of one execution: it feeds the pure core events and carries out its effects.

:class:`ExecutionDriver` is the only place where an execution meets I/O: run storage, the
dispatcher (admission within limits), the executor (task attempts), step handlers and task
listings, timers, cancel signals and the live event bus. Every decision is the core's
(:class:`~sounding.orchestration.core.ExecutionCore`); the driver never changes the
execution's state itself.

Effects are carried out in the order they were decided. Immediate ones (queue a task, start an
attempt, plan a step, arm a timer) happen at once. Writes (statuses, events, the end of the
execution) go through one ordered lane per execution: the coroutine that fed the event stores
them before it goes on (``await self.settle()``), or waits for whoever is storing them, so they
reach storage in decision order even while other coroutines decide more. A task attempt's own
records (start, finish) are written by the attempt's coroutine, concurrently with other
attempts: the core decides how the attempt ended (retry or not), the driver stores that
record, then the core decides what follows (``AttemptRecorded``), as a restart would see it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.orchestration import (
    EventKind,
    ExecutionRecord,
    RunEvent,
    RunStatus,
    Strategy,
    TaskAttemptRecord,
    utcnow,
)
from sounding.errors import SoundingError
from sounding.orchestration.config import EngineConfig
from sounding.orchestration.core import (
    AppendEvent,
    AttemptAborted,
    AttemptEnded,
    AttemptRecorded,
    CancelRequested,
    CancelRetry,
    CancelSettled,
    ConsumeListing,
    Effect,
    Enqueue,
    EnsureSteps,
    Event,
    ExecutionCore,
    FinishAttempt,
    Finished,
    ListingEnded,
    Outcome,
    PauseAdmission,
    PauseRequested,
    PlanAbandoned,
    PlanFailed,
    PlanStep,
    Progress,
    RerunRequested,
    ResumeRequested,
    RetryDue,
    ScheduleRetry,
    SetExecutionStatus,
    SetSourceCapacity,
    SetStepStatus,
    SignalCancel,
    SkipChecked,
    StartAttempt,
    Started,
    StepPlanned,
    TaskAdmitted,
    TaskListed,
    Warn,
    Withdraw,
)
from sounding.orchestration.events import EventBus, eta_seconds, fraction_done
from sounding.orchestration.executors.base import Executor, TaskCall
from sounding.orchestration.limits import Constraint, Dispatcher, Ticket
from sounding.orchestration.spec import StepSpec, WorkflowSpec
from sounding.orchestration.state import STOPPED_TYPE, StepState
from sounding.orchestration.steps import (
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskAbortedError,
    TaskCancelledError,
    TaskContext,
)
from sounding.orchestration.storage import RunStorage

logger = logging.getLogger(__name__)

RS = RunStatus
STOP_RECORD_TIMEOUT = 1.0  # seconds a shutdown waits to record an abandoned attempt

TaskRef = tuple[str, str]  # (step id, task key)


@dataclass(slots=True)
class Runtime:
    """What every execution's driver shares with the engine."""

    storage: RunStorage
    registry: StepTypeRegistry
    executor: Executor
    dispatcher: Dispatcher
    bus: EventBus
    config: EngineConfig
    rng: random.Random
    aborting: bool = False
    # pool slots and per-source caps now: the config's, changed by set_pool/set_source_limits
    pools: dict[str, int] = field(default_factory=dict)
    source_limits: dict[str, int] = field(default_factory=dict)

    def source_limit(self, source: str) -> int | None:
        """The engine-wide cap on concurrent tasks of one source (None: no cap)."""
        return self.source_limits.get(source, self.config.default_source_limit)


def on_admitted(ticket: Ticket) -> None:
    """The dispatcher's callback: a queued task fits every limit now."""
    driver, step_id, key = ticket.payload  # the ticket is in the driver's _tickets already
    driver.feed(TaskAdmitted(step_id, key))


class ExecutionDriver:
    def __init__(self, rt: Runtime, core: ExecutionCore) -> None:
        self.rt = rt
        self.core = core
        self.id = core.id
        self._loop = loop = asyncio.get_running_loop()
        self.done: asyncio.Future[RunStatus] = loop.create_future()
        self.started = asyncio.Event()
        self.started_mono = time.monotonic()
        spec = core.spec
        cap = 1 if spec.strategy is Strategy.SEQUENTIAL else spec.limits.max_concurrent
        self.limit = rt.dispatcher.constraint(f"execution:{self.id}", cap)
        self.constraint_names: list[str] = []
        self._jobs: set[asyncio.Task[Any]] = set()
        self._demands: dict[tuple[str, str | None], list[tuple[Constraint, float]]] = {}
        # per step id, per task key (no tuple per task): queued tickets, running attempts
        self._tickets: dict[str, dict[str, Ticket]] = {s.id: {} for s in core.order}
        self._attempts: dict[str, dict[str, tuple[asyncio.Task[Any], TaskContext]]] = {
            s.id: {} for s in core.order
        }
        self._timers: dict[TaskRef, asyncio.TimerHandle] = {}
        self._plan_jobs: dict[str, asyncio.Task[Any]] = {}
        self._plans: dict[str, StepPlan] = {}
        self._step_started: dict[str, float] = {}
        self._last_progress: dict[str, float] = {}
        self._stopping: list[asyncio.Task[Any]] = []
        self._pending: deque[Effect] = deque()
        self._draining = False
        self._lane: deque[Effect] = deque()
        self._writing = False
        self._idle: asyncio.Future[None] | None = None
        self._apply: dict[type, Callable[[Any], None]] = {
            Enqueue: self._enqueue,
            Withdraw: self._withdraw,
            StartAttempt: self._start_attempt,
            SignalCancel: self._signal_cancel,
            ScheduleRetry: self._schedule_retry,
            CancelRetry: self._cancel_retry,
            SetSourceCapacity: self._set_source_capacity,
            Progress: self._progress_effect,
            PlanStep: self._plan_step,
            ConsumeListing: self._consume_listing,
            PauseAdmission: self._pause_admission,
            Warn: self._warn,
            SetExecutionStatus: self._lane.append,
            SetStepStatus: self._lane.append,
            AppendEvent: self._lane.append,
            EnsureSteps: self._lane.append,
            Finished: self._lane.append,
        }

    # -- what the engine and the load snapshot read --

    @property
    def record(self) -> ExecutionRecord:
        return self.core.record

    @property
    def spec(self) -> WorkflowSpec:
        return self.core.spec

    @property
    def order(self) -> list[StepState]:
        return self.core.order

    # -- feeding the core --

    def feed(self, event: Event) -> None:
        """Let the core decide on ``event``; carry out the immediate effects now (writes are
        queued in the lane: ``settle`` stores them). Re-entrant: an effect that feeds another
        event (the dispatcher admitting a task) queues its effects after the current ones."""
        self.carry_out(self.core.handle(event))

    def carry_out(self, effects: list[Effect]) -> None:
        """Carry out ``effects`` in order (writes go to the lane)."""
        if self._draining:
            self._pending.extend(effects)
            return
        self._draining = True
        apply, pending = self._apply, self._pending
        try:
            for effect in effects:
                try:
                    apply[type(effect)](effect)
                except Exception:
                    logger.exception("Execution %s: carrying out %r failed", self.id, effect)
            while pending:  # what the effects above fed, in order
                effect = pending.popleft()
                try:
                    apply[type(effect)](effect)
                except Exception:
                    logger.exception("Execution %s: carrying out %r failed", self.id, effect)
        finally:
            self._draining = False

    def feed_soon(self, event: Event) -> None:
        """``feed`` from a plain callback (a timer): a job stores the writes."""
        self.feed(event)
        if self._lane and not self._writing:
            self.spawn(self.settle())

    async def settle(self) -> None:
        """Store every write decided so far, in order; return once they are stored."""
        while self._writing:
            if self._idle is None:
                self._idle = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._idle)
        if not self._lane:
            return
        self._writing = True
        try:
            lane = self._lane
            while lane:
                effect = lane.popleft()
                try:
                    await self._write(effect)
                except Exception as exc:  # logged like any job's failure; later writes go on
                    logger.error("Execution %s: internal error", self.id, exc_info=exc)
        except asyncio.CancelledError:
            if self._lane and not self.rt.aborting:
                self.spawn(self.settle())  # the rest is stored by a job of its own
            raise
        finally:
            self._writing = False
            idle, self._idle = self._idle, None
            if idle is not None and not idle.done():
                idle.set_result(None)

    async def _write(self, effect: Effect) -> None:
        storage = self.rt.storage
        if isinstance(effect, SetStepStatus):
            rec = effect.record
            await storage.update_step(rec, expected=effect.expected)
            await self._append(
                RunEvent(
                    self.id,
                    EventKind.STEP_STATUS,
                    step_id=rec.step_id,
                    status=rec.status,
                    data=dict(effect.data),
                )
            )
        elif isinstance(effect, SetExecutionStatus):
            await storage.update_execution(effect.record, expected=effect.expected)
            status = effect.record.status
            await self._append(RunEvent(self.id, EventKind.EXECUTION_STATUS, status=status))
        elif isinstance(effect, AppendEvent):
            await self._append(
                RunEvent(
                    self.id,
                    effect.kind,
                    step_id=effect.step_id,
                    task_key=effect.task_key,
                    data=dict(effect.data),
                )
            )
        elif isinstance(effect, EnsureSteps):
            known = {r.step_id for r in await storage.get_steps(self.id)}
            missing = [r for r in effect.records if r.step_id not in known]
            if missing:
                await storage.add_steps(missing)
        elif isinstance(effect, Finished):
            for name in [self.limit.name, *self.constraint_names]:
                self.rt.dispatcher.forget(name)
            if not self.done.done():
                self.done.set_result(effect.status)
        elif isinstance(effect, PauseAdmission):
            self.rt.dispatcher.set_paused(self.limit, effect.paused)
        elif isinstance(effect, Progress):
            self._progress(effect.step_id, force=effect.force)
        else:  # pragma: no cover - every lane effect is listed above
            raise TypeError(f"not a write: {effect!r}")

    async def _append(self, event: RunEvent) -> None:
        event.seq = await self.rt.storage.append_event(event)
        self.rt.bus.publish(event)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        job = self._loop.create_task(coro)
        self._jobs.add(job)
        job.add_done_callback(self._job_done)
        return job

    def _job_done(self, job: asyncio.Task[Any]) -> None:
        self._jobs.discard(job)
        if not job.cancelled() and (exc := job.exception()) is not None:
            logger.error("Execution %s: internal error", self.id, exc_info=exc)

    # -- lifecycle and control --

    async def start(self) -> None:
        """Take the execution from wherever storage left it to running, then schedule."""
        self.feed(Started())
        self.started.set()
        await self.settle()

    async def rerun(self) -> None:
        """Re-open a failed or cancelled execution; completed tasks keep their results."""
        self.feed(RerunRequested())
        self.started.set()
        await self.settle()

    async def pause(self) -> None:
        self.feed(PauseRequested())
        await self.settle()

    async def resume(self) -> None:
        self.feed(ResumeRequested())
        await self.settle()

    async def cancel(self, grace: float) -> None:
        """Stop queued tasks, ask running ones to stop, force them after ``grace`` seconds."""
        self.core.check(RS.CANCELLED)
        await self.started.wait()
        if not self.core.cancelling:
            self._stopping = []
            self.feed(CancelRequested(grace))
            jobs, self._stopping = self._stopping, []
            jobs += [
                self._plan_jobs[s.id] for s in self.core.order if s.busy and s.id in self._plan_jobs
            ]
            await self.settle()
            if jobs:
                _, late = await asyncio.wait(jobs, timeout=grace)
                for job in late:
                    job.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            self.feed(CancelSettled())
            await self.settle()
        await asyncio.shield(self.done)

    def cancel_timers(self) -> None:
        """Forget pending retries (engine shutdown: the next start retries them anyway)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # -- immediate effects --

    def _warn(self, effect: Warn) -> None:
        logger.warning("%s", effect.message)

    def _pause_admission(self, effect: PauseAdmission) -> None:
        if effect.paused:
            self.rt.dispatcher.set_paused(self.limit, True)
        else:  # once the running status decided with it is stored
            self._lane.append(effect)

    def _enqueue(self, effect: Enqueue) -> None:
        demands = self._demands.get((effect.step_id, effect.source))
        if demands is None:
            demands = self._demands_of(self.core.steps[effect.step_id].spec, effect)
        payload = (self, effect.step_id, effect.key)
        ticket = self.rt.dispatcher.submit(effect.priority, demands, payload)
        self._tickets[effect.step_id][effect.key] = ticket

    def _demands_of(self, spec: StepSpec, effect: Enqueue) -> list[tuple[Constraint, float]]:
        d = self.rt.dispatcher
        demands = [(d.global_limit, 1.0), (self.limit, 1.0)]
        source = effect.source
        if source is not None:
            if effect.source_cap is not None:
                name = f"execution:{self.id}:source:{source}"
                self.constraint_names.append(name)
                demands.append((d.constraint(name, effect.source_cap), 1.0))
            engine_cap = self.rt.source_limit(source)
            if engine_cap is not None:
                demands.append((d.constraint(f"source:{source}", engine_cap), 1.0))
        if spec.pool is not None:
            demands.append((d.constraint(f"pool:{spec.pool}"), float(spec.pool_slots)))
        for name, amount in spec.resources.items():
            if name in self.rt.config.resources:
                demands.append((d.constraint(f"resource:{name}"), amount))
        self._demands[(effect.step_id, source)] = demands
        return demands

    def _withdraw(self, effect: Withdraw) -> None:
        ticket = self._tickets[effect.step_id].pop(effect.key, None)
        if ticket is not None:
            self.rt.dispatcher.withdraw(ticket)

    def _signal_cancel(self, effect: SignalCancel) -> None:
        found = self._attempts[effect.step_id].get(effect.key)
        if found is not None:
            job, ctx = found
            ctx.cancel_event.set()
            self._stopping.append(job)

    def _schedule_retry(self, effect: ScheduleRetry) -> None:
        ref = (effect.step_id, effect.key)
        loop = asyncio.get_running_loop()
        self._timers[ref] = loop.call_later(effect.delay, self._retry_due, ref)

    def _retry_due(self, ref: TaskRef) -> None:
        self._timers.pop(ref, None)
        self.feed_soon(RetryDue(*ref))

    def _cancel_retry(self, effect: CancelRetry) -> None:
        timer = self._timers.pop((effect.step_id, effect.key), None)
        if timer is not None:
            timer.cancel()

    def _set_source_capacity(self, effect: SetSourceCapacity) -> None:
        d = self.rt.dispatcher
        d.set_capacity(d.constraint(f"execution:{self.id}:source:{effect.source}"), effect.capacity)

    # -- planning steps --

    def _plan_step(self, effect: PlanStep) -> None:
        self._plan_jobs[effect.step_id] = self.spawn(self._plan(effect))

    async def _plan(self, effect: PlanStep) -> None:
        core = self.core
        s = core.steps[effect.step_id]
        ctx = StepContext(self.id, core.spec.name, s.spec, core.record.params)
        try:
            await self.settle()  # what led here (an upstream's end) is stored first
            if effect.check_skip:
                skip = self._skip_requested(ctx)
                self.feed(SkipChecked(s.id, skip))
                await self.settle()
                if skip:
                    return
            self._step_started[s.id] = time.monotonic()
            plan = self.rt.registry.handler(s.spec.type)(ctx)
            if inspect.isawaitable(plan):
                plan = await plan
            if not isinstance(plan, StepPlan):
                raise TypeError(f"step handler returned {type(plan).__name__}, not StepPlan")
            streaming = isinstance(plan.tasks, AsyncIterable)
            tasks = None
            if plan.tasks is not None and not streaming:
                tasks = () if core.cancelling else tuple(plan.tasks)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            if self.rt.aborting:
                raise
            self.feed(PlanAbandoned(s.id))
            return
        except GeneratorExit:  # the coroutine itself is being closed
            raise
        except BaseException as exc:  # SystemExit from a planner fails the step, not the engine
            logger.warning("Execution %s: step '%s' could not be planned: %s", self.id, s.id, exc)
            self.feed(PlanFailed(s.id, f"{type(exc).__name__}: {exc}"))
            await self.settle()
            return
        self._plans[s.id] = plan
        self.feed(StepPlanned(s.id, tasks, streaming))
        await self.settle()

    def _skip_requested(self, ctx: StepContext) -> bool:
        params = self.core.record.params
        for cond in ctx.step.skip_if:
            if cond.callable is not None and self.rt.registry.resolve_callable(cond.callable)(ctx):
                return True
            if cond.param is None:
                continue
            value = params.get(cond.param)
            if cond.equals is not None and value == cond.equals:
                return True
            if cond.not_equals is not None and value != cond.not_equals:
                return True
            if cond.in_ is not None and value in cond.in_:
                return True
        return False

    def _consume_listing(self, effect: ConsumeListing) -> None:
        self.spawn(self._consume(effect.step_id))

    async def _consume(self, step_id: str) -> None:
        tasks = self._plans[step_id].tasks
        assert isinstance(tasks, AsyncIterable)
        error = None
        try:
            async for item in tasks:
                if self.core.cancelling:
                    break
                self.feed(TaskListed(step_id, item))
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:  # any plugin failure ends the listing, never the engine
            logger.warning("Execution %s: listing tasks of '%s' failed: %s", self.id, step_id, exc)
            error = f"{type(exc).__name__}: {exc}"
        self.feed(ListingEnded(step_id, error))
        await self.settle()

    # -- task attempts --

    def _start_attempt(self, effect: StartAttempt) -> None:
        spec = self.core.steps[effect.step_id].spec
        ctx = TaskContext(
            self.id, effect.step_id, effect.key, effect.attempt, spec.config,
            self.core.record.params, source=effect.source, payload=effect.payload,
            inputs=effect.inputs,
        )  # fmt: skip
        job = self.spawn(self._attempt(effect, ctx, spec))
        self._attempts[effect.step_id][effect.key] = (job, ctx)

    async def _attempt(self, start: StartAttempt, ctx: TaskContext, spec: StepSpec) -> None:
        step_id, key = start.step_id, start.key
        ticket = self._tickets[step_id].pop(key)
        if self.core.cancelling:
            self.rt.dispatcher.release(ticket)
            self.feed(AttemptAborted(step_id, key))
            await self.settle()
            return
        record = TaskAttemptRecord(self.id, step_id, key, start.attempt, source=start.source)
        began = time.monotonic()
        outcome: tuple[Outcome, Any, BaseException | None] = (Outcome.CANCELLED, None, None)
        recorded = False
        try:
            await self.rt.storage.start_task_attempt(record)
            recorded = True
            outcome = await self._call(self._plans[step_id], ctx, spec)
        except asyncio.CancelledError:
            if self.rt.aborting:
                if recorded:
                    await self._record_stopped(record)
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            self.rt.dispatcher.release(ticket)
        if not recorded:
            self.feed(AttemptAborted(step_id, key))
            await self.settle()
            return
        kind, value, exc = outcome
        ended = AttemptEnded(
            step_id, key, kind, value, exc, ctx.cancelled, time.monotonic() - began
        )
        (fin,) = self.core.handle(ended)  # the attempt's record, stored before what follows
        assert isinstance(fin, FinishAttempt)
        try:
            await self.rt.storage.finish_task_attempt(
                record.key,
                status=fin.status,
                finished_at=utcnow(),
                result=fin.result,
                error=fin.error,
                error_type=fin.error_type,
                final=fin.final,
            )
        except Exception as exc:  # the next start closes it as interrupted; go on meanwhile
            logger.error("Execution %s: recording attempt %s failed", self.id, record.key,
                         exc_info=exc)  # fmt: skip
        self.feed(AttemptRecorded(step_id, key))
        running = self._attempts[step_id]
        if running.get(key, (None,))[0] is asyncio.current_task():
            del running[key]  # ended: nothing left to signal or wait for
        if self._lane:
            await self.settle()

    async def _call(
        self, plan: StepPlan, ctx: TaskContext, spec: StepSpec
    ) -> tuple[Outcome, Any, BaseException | None]:
        call = TaskCall(plan.run, ctx, spec.resources)
        try:
            if spec.timeout is None:
                value = await self.rt.executor.run(call)
            else:
                async with asyncio.timeout(spec.timeout):
                    value = await self.rt.executor.run(call)
            return Outcome.COMPLETED, value, None
        except TimeoutError as exc:
            ctx.cancel_event.set()
            return Outcome.TIMED_OUT, None, exc
        except TaskCancelledError as exc:
            return Outcome.CANCELLED, None, exc
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:  # SystemExit, KeyboardInterrupt ...: this task only
            if not isinstance(exc, SoundingError) and not ctx.cancelled:
                # not one of ours (a bug, or a library's own failure): the attempt records
                # only its type and message, so the log keeps where it came from
                logger.info(
                    "Execution %s: task '%s/%s' raised %s", self.id, ctx.step_id, ctx.task_key,
                    type(exc).__name__, exc_info=exc,
                )  # fmt: skip
            if not isinstance(exc, Exception) and not (ctx.cancelled and self.core.cancelling):
                logger.warning(
                    "Execution %s: task '%s/%s' raised %s; failing the task only",
                    self.id, ctx.step_id, ctx.task_key, type(exc).__name__,
                )  # fmt: skip
                exc = TaskAbortedError.of(exc)
            return Outcome.RAISED, None, exc

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

    # -- progress --

    def _progress_effect(self, effect: Progress) -> None:
        if effect.force:  # a step's end: after its status event
            self._lane.append(effect)
        elif self.rt.bus.active:  # nobody listens: nothing to work out
            self._progress(effect.step_id, force=False)

    def _progress(self, step_id: str, *, force: bool) -> None:
        bus = self.rt.bus
        if not bus.active:
            return
        now = time.monotonic()
        if not force and now - self._last_progress.get(step_id, 0.0) < (
            self.rt.config.progress_interval
        ):
            return
        self._last_progress[step_id] = now
        data = self.progress_data(self.core.steps[step_id], now)
        bus.publish(RunEvent(self.id, EventKind.PROGRESS, step_id=step_id, data=data))

    def progress_data(self, s: StepState, now: float) -> dict[str, Any]:
        """A step's live figures: the ``progress`` event's data, also read by the status
        endpoint so both say the same."""
        total = len(s.tasks) + len(s.held)
        frac = fraction_done(s.done + s.failed + s.cancelled, total, s.planned or s.finished)
        order = self.core.order
        overall = sum(
            1.0 if x.finished else fraction_done(x.done + x.failed, len(x.tasks), x.planned)
            for x in order
        ) / len(order)
        started = self._step_started.get(s.id) or now
        return {
            "done": s.done,
            "failed": s.failed,
            "total": total,
            "total_known": s.planned or s.finished,
            "percent": round(100 * frac, 1),
            "eta_seconds": eta_seconds(now - started, frac) if not s.finished else 0.0,
            "execution_percent": round(100 * overall, 1),
            "execution_eta_seconds": eta_seconds(now - self.started_mono, overall),
        }
