"""One execution in flight: which step starts when, its status changes, pause and cancel.

The engine creates an ``ExecutionRun`` per unfinished execution it owns. All its state lives on
the engine's event loop; storage writes for statuses and events are serialised per execution
(an ``asyncio.Lock``) so they reach storage in the order they were decided. Task attempts are
run by :mod:`sounding.orchestration.tasks`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sounding.domain.orchestration import (
    EventKind,
    ExecutionRecord,
    RunCondition,
    RunEvent,
    RunStatus,
    Strategy,
    utcnow,
)
from sounding.orchestration import state as st
from sounding.orchestration.adaptive import AimdController
from sounding.orchestration.spec import WorkflowSpec
from sounding.orchestration.states import Kind, check_transition
from sounding.orchestration.steps import StepContext, StepPlan, TaskSpec
from sounding.orchestration.tasks import TaskRunner

if TYPE_CHECKING:
    from sounding.orchestration.engine import Runtime

logger = logging.getLogger(__name__)

RS = RunStatus


class ExecutionRun:
    def __init__(
        self, rt: Runtime, record: ExecutionRecord, spec: WorkflowSpec, steps: list[st.StepState]
    ) -> None:
        self.rt = rt
        self.record = record
        self.spec = spec
        self.id = record.id
        self.order = steps  # topological
        self.steps = {s.id: s for s in steps}
        self.cancelling = False
        self.finishing = False
        self.done: asyncio.Future[RunStatus] = asyncio.get_running_loop().create_future()
        self._lock = asyncio.Lock()
        self._jobs: set[asyncio.Task[Any]] = set()
        cap = 1 if spec.strategy is Strategy.SEQUENTIAL else spec.limits.max_concurrent
        self.limit = rt.dispatcher.constraint(f"execution:{self.id}", cap)
        self.controllers: dict[str, AimdController] = {}
        self.tasks = TaskRunner(self)
        self.started = asyncio.Event()
        self.started_mono = time.monotonic()

    # -- lifecycle --

    async def start(self) -> None:
        """Take the execution from wherever storage left it to running, then schedule."""
        status = self.record.status
        if status is RS.PENDING:
            await self.set_status(RS.INITIALIZING)
        if self.record.status is RS.INITIALIZING:
            await self._ensure_steps()
            await self.set_status(RS.RUNNING)
        elif status is RS.RETRYING:
            await self.set_status(RS.RUNNING)
        elif status is RS.PAUSED:
            self.rt.dispatcher.set_paused(self.limit, True)
        self.started.set()
        self.advance()

    async def _ensure_steps(self) -> None:
        known = {r.step_id for r in await self.rt.storage.get_steps(self.id)}
        missing = [replace(s.record) for s in self.order if s.id not in known]
        if missing:
            await self.rt.storage.add_steps(missing)

    async def rerun(self) -> None:
        """Re-open a failed or cancelled execution; completed tasks keep their results."""
        await self.set_status(RS.RETRYING)
        for s in self.order:
            if s.status in (RS.FAILED, RS.CANCELLED):
                await self.set_step(s, RS.RETRYING)
            elif s.status is RS.SKIPPED:
                await self.set_step(s, RS.PENDING)
        await self.start()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        job = asyncio.get_running_loop().create_task(coro)
        self._jobs.add(job)
        job.add_done_callback(self._job_done)
        return job

    def _job_done(self, job: asyncio.Task[Any]) -> None:
        self._jobs.discard(job)
        if not job.cancelled() and (exc := job.exception()) is not None:
            logger.error("Execution %s: internal error", self.id, exc_info=exc)

    # -- scheduling --

    def advance(self) -> None:
        """Start or skip every step whose turn it is; finish the execution when all ended."""
        if self.cancelling or self.finishing:
            self.maybe_finish()
            return
        candidates = self.order
        if self.spec.strategy is Strategy.SEQUENTIAL:
            candidates = [s for s in self.order if not s.finished][:1]
        for s in candidates:
            if s.busy or s.finished:
                continue
            if s.status in (RS.INITIALIZING, RS.RUNNING):
                if s.plan is None:  # resumed after a restart: plan it again
                    self._launch(s)
                continue
            decision = self._decide(s)
            if decision == "start":
                self._launch(s)
            elif decision is not None:
                s.busy = True
                self.spawn(self._skip(s, decision))
        self.maybe_finish()

    def _decide(self, s: st.StepState) -> str | None:
        """Return "start", a skip reason, or None while the step cannot be decided yet."""
        cond = s.spec.run_if
        if all(u.finished for u in s.upstream):
            failed = any(u.failedish for u in s.upstream)
            if cond is RunCondition.ON_SUCCESS and failed:
                return st.UPSTREAM_FAILED
            if cond is RunCondition.ON_FAILURE and not failed:
                return st.CONDITION_NOT_MET
            return "start"
        early = self.spec.strategy is Strategy.PIPELINE and cond is RunCondition.ON_SUCCESS
        if early and all(u.status in (RS.RUNNING, RS.COMPLETED) for u in s.upstream):
            return "start"
        return None

    def _launch(self, s: st.StepState) -> None:
        s.busy = True
        s.job = self.spawn(self._plan_step(s))

    async def _skip(self, s: st.StepState, reason: str) -> None:
        await self.set_step(s, RS.SKIPPED, reason=reason)
        s.busy = False
        self.step_ended(s)

    async def _plan_step(self, s: st.StepState) -> None:
        ctx = StepContext(self.id, self.spec.name, s.spec, self.record.params)
        try:
            if s.status in (RS.PENDING, RS.RETRYING):
                if self._skip_requested(ctx):
                    await self.set_step(s, RS.SKIPPED, reason=st.SKIP_IF)
                    s.busy = False
                    self.step_ended(s)
                    return
                await self.set_step(s, RS.INITIALIZING)
            s.started_mono = time.monotonic()
            plan = self.rt.registry.handler(s.spec.type)(ctx)
            if inspect.isawaitable(plan):
                plan = await plan
            if not isinstance(plan, StepPlan):
                raise TypeError(f"step handler returned {type(plan).__name__}, not StepPlan")
        except asyncio.CancelledError:
            if self.rt.aborting:
                raise
            s.busy = False
            return
        except GeneratorExit:  # the coroutine itself is being closed
            raise
        except BaseException as exc:  # SystemExit from a planner fails the step, not the engine
            logger.warning("Execution %s: step '%s' could not be planned: %s", self.id, s.id, exc)
            if s.status in (RS.PENDING, RS.RETRYING):  # a skip condition raised
                await self.set_step(s, RS.INITIALIZING)
            await self.set_step(s, RS.FAILED, reason=f"{type(exc).__name__}: {exc}")
            s.busy = False
            self.step_ended(s)
            return
        s.plan = plan
        if s.status is RS.INITIALIZING:
            await self.set_step(s, RS.RUNNING)
        s.busy = False
        self._feed(s, plan)
        if self.spec.strategy is Strategy.PIPELINE:
            self.advance()

    def _skip_requested(self, ctx: StepContext) -> bool:
        params = self.record.params
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

    def _feed(self, s: st.StepState, plan: StepPlan) -> None:
        if self.cancelling:
            s.planned = True
        elif plan.tasks is None:
            s.per_object = True
            self.offer(s, st.upstream_keys(s))
        elif isinstance(plan.tasks, AsyncIterable):
            self.spawn(self._consume(s, plan.tasks))
            return
        else:
            for item in plan.tasks:
                self.add_task(s, item)
            s.planned = True
        self.maybe_finish_step(s)

    async def _consume(self, s: st.StepState, tasks: AsyncIterable[TaskSpec | str]) -> None:
        try:
            async for item in tasks:
                if self.cancelling:
                    break
                self.add_task(s, item)
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:  # any plugin failure ends the listing, never the engine
            logger.warning("Execution %s: listing tasks of '%s' failed: %s", self.id, s.id, exc)
            s.error = f"listing tasks failed: {type(exc).__name__}: {exc}"
        s.planned = True
        self.maybe_finish_step(s)

    def add_task(self, s: st.StepState, item: TaskSpec | str) -> None:
        spec = item if isinstance(item, TaskSpec) else TaskSpec(str(item))
        if spec.key in s.tasks or spec.key in s.held:
            logger.warning("Execution %s: duplicate task key %r in '%s'", self.id, spec.key, s.id)
            return
        if not all(u.finished for u in s.upstream):
            s.held[spec.key] = spec  # pipeline, whole-step dependency: wait for upstream to end
            return
        self.tasks.create(s, spec)

    def offer(self, s: st.StepState, keys: list[str]) -> None:
        """Create the tasks of a per-object step for the objects that are ready."""
        if self.cancelling or s.finished:
            return
        for key in st.ready_keys(s, keys):
            self.tasks.create(s, TaskSpec(key, source=s.spec.source))
        if all(u.finished for u in s.upstream):
            s.planned = True

    def step_ended(self, u: st.StepState) -> None:
        """An upstream step ended: release what waited for it downstream, then schedule."""
        for d in u.downstream:
            if d.plan is None or d.finished:
                continue
            if d.per_object:
                self.offer(d, list(d.waiting_keys))
            elif d.held and all(x.finished for x in d.upstream):
                held, d.held = d.held, {}
                if any(x.failedish for x in d.upstream):
                    d.dropped_keys += len(held)
                else:
                    for spec in held.values():
                        self.tasks.create(d, spec)
            self.maybe_finish_step(d)
        self.advance()

    def maybe_finish_step(self, s: st.StepState) -> None:
        if s.busy or s.finished or not s.planned or s.unfinished or s.held or s.plan is None:
            return
        s.busy = True
        self.spawn(self._finish_step(s))

    async def _finish_step(self, s: st.StepState) -> None:
        if s.cancelled:
            status, reason = RS.CANCELLED, st.CANCELLED
        elif s.failed or s.error:
            status, reason = RS.FAILED, s.error or f"{s.failed} task(s) failed"
        elif s.dropped_keys and not s.tasks:
            status, reason = RS.SKIPPED, st.UPSTREAM_FAILED
        else:
            status, reason = RS.COMPLETED, None
        await self.set_step(s, status, reason=reason)
        s.busy = False
        self.tasks.progress(s, force=True)
        self.step_ended(s)

    def maybe_finish(self) -> None:
        if self.finishing or not all(s.finished for s in self.order):
            return
        self.finishing = True
        self.spawn(self._finish())

    async def _finish(self) -> None:
        if self.cancelling:
            status = RS.CANCELLED
        elif any(s.status in (RS.FAILED, RS.CANCELLED) for s in self.order):
            status = RS.FAILED
        else:
            status = RS.COMPLETED
        failed = [s.id for s in self.order if s.status is RS.FAILED]
        error = f"step(s) failed: {', '.join(failed)}" if failed else None
        await self.set_status(status, error=error)
        for name in [self.limit.name, *self.tasks.constraint_names]:
            self.rt.dispatcher.forget(name)
        if not self.done.done():
            self.done.set_result(status)

    # -- control --

    async def pause(self) -> None:
        check_transition(Kind.EXECUTION, self.id, self.record.status, RS.PAUSED)
        self.rt.dispatcher.set_paused(self.limit, True)
        await self.set_status(RS.PAUSED)

    async def resume(self) -> None:
        check_transition(Kind.EXECUTION, self.id, self.record.status, RS.RUNNING)
        await self.set_status(RS.RUNNING)
        self.rt.dispatcher.set_paused(self.limit, False)

    async def cancel(self, grace: float) -> None:
        """Stop queued tasks, ask running ones to stop, force them after ``grace`` seconds."""
        check_transition(Kind.EXECUTION, self.id, self.record.status, RS.CANCELLED)
        await self.started.wait()
        if not self.cancelling:
            self.cancelling = True
            await self.event(EventKind.CANCEL_REQUESTED, data={"grace": grace})
            jobs = self.tasks.stop_all() + [s.job for s in self.order if s.busy and s.job]
            if jobs:
                _, late = await asyncio.wait(jobs, timeout=grace)
                for job in late:
                    job.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            for s in self.order:
                if not s.finished and not s.busy:
                    await self.set_step(s, RS.CANCELLED, reason=st.CANCELLED)
            self.maybe_finish()
        await asyncio.shield(self.done)

    # -- persistence --

    async def set_status(self, status: RunStatus, *, error: str | None = None) -> None:
        rec = self.record
        old = rec.status
        check_transition(Kind.EXECUTION, self.id, old, status)
        now = utcnow()
        rec.status = status
        if status is RS.RUNNING and rec.started_at is None:
            rec.started_at = now
        if status is RS.RETRYING:
            rec.started_at, rec.finished_at, rec.error = now, None, None
        if status.finished:
            rec.finished_at = now
        rec.error = error or rec.error
        snapshot = replace(rec, spec={}, params={})
        async with self._lock:
            await self.rt.storage.update_execution(snapshot, expected=old)
            await self._append(RunEvent(self.id, EventKind.EXECUTION_STATUS, status=status))

    async def set_step(self, s: st.StepState, status: RunStatus, reason: str | None = None) -> None:
        rec = s.record
        old = rec.status
        check_transition(Kind.STEP, f"{self.id}/{s.id}", old, status)
        now = utcnow()
        rec.status, rec.reason = status, reason
        if status is RS.INITIALIZING:
            rec.started_at, rec.finished_at = now, None
        if status.finished:
            rec.finished_at = now
        s.sync_counts()
        snapshot = replace(rec)
        data = {"reason": reason, "tasks_total": rec.tasks_total, "tasks_done": rec.tasks_done}
        async with self._lock:
            await self.rt.storage.update_step(snapshot, expected=old)
            await self._append(
                RunEvent(self.id, EventKind.STEP_STATUS, step_id=s.id, status=status, data=data)
            )

    async def event(self, kind: EventKind, **fields: Any) -> None:
        async with self._lock:
            await self._append(RunEvent(self.id, kind, **fields))

    async def _append(self, event: RunEvent) -> None:
        event.seq = await self.rt.storage.append_event(event)
        self.rt.bus.publish(event)
