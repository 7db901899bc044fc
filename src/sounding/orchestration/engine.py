"""The orchestration engine: submit workflows, control executions, resume after a crash.

::

    engine = Engine(storage, registry=StepTypeRegistry.default(), config=EngineConfig())
    async with engine:                      # start(): resumes unfinished executions
        execution_id = await engine.submit(yaml_text, params={"full": True})
        with engine.events.subscribe(execution_id) as events: ...
        record = await engine.wait(execution_id)

Everything durable goes through ``RunStorage``; the engine itself keeps only what is in flight:
one :class:`~sounding.orchestration.driver.ExecutionDriver` per execution, which carries out
the decisions of that execution's pure :class:`~sounding.orchestration.core.ExecutionCore`.
``shutdown()`` leaves unfinished executions unfinished in storage: the next ``start()`` on the
same storage resumes them (completed tasks are not re-run, interrupted ones are retried).

With a :class:`~sounding.orchestration.leases.LeaseStore` (``leases=``), several engines
(servers) share one store: each execution is owned by the engine that started it, through a
lease its heartbeat renews; an engine started with ``recover=True`` takes over the executions
whose lease expired (their owner died) and carries out control requests other engines
recorded for its own. See :mod:`sounding.orchestration.leases`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from types import TracebackType
from typing import Any

from sounding.domain.leases import Beat, Claimable, ServerIdentity
from sounding.domain.orchestration import (
    UNFINISHED,
    EventKind,
    ExecutionRecord,
    RunEvent,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
    utcnow,
)
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    StoreUnavailableError,
    ValidationFailedError,
)
from sounding.orchestration import state as st
from sounding.orchestration.config import EngineConfig
from sounding.orchestration.core import ExecutionCore
from sounding.orchestration.driver import ExecutionDriver, Runtime, on_admitted
from sounding.orchestration.events import EventBus
from sounding.orchestration.executors.base import Executor
from sounding.orchestration.executors.local import LocalExecutor
from sounding.orchestration.leases import FencedStorage, LeaseKeeper, LeaseStore, spawn_background
from sounding.orchestration.limits import Dispatcher
from sounding.orchestration.load import EngineLoad, measure_load
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.spec import WorkflowSpec
from sounding.orchestration.states import Kind, check_transition
from sounding.orchestration.steps import StepTypeRegistry
from sounding.orchestration.storage import RunStorage

logger = logging.getLogger(__name__)

__all__ = ["Engine", "EngineConfig", "Runtime"]


class Engine:
    def __init__(
        self,
        storage: RunStorage,
        *,
        registry: StepTypeRegistry | None = None,
        executor: Executor | None = None,
        config: EngineConfig | None = None,
        rng: random.Random | None = None,
        leases: LeaseStore | None = None,
    ) -> None:
        cfg = config or EngineConfig()
        self.events = EventBus()
        dispatcher = Dispatcher(cfg.max_concurrency, on_admitted)
        for name, slots in cfg.pools.items():
            dispatcher.constraint(f"pool:{name}", slots)
        for name, amount in cfg.resources.items():
            dispatcher.constraint(f"resource:{name}", amount)
        self.rt = Runtime(
            storage=storage,
            registry=registry or StepTypeRegistry.default(),
            executor=executor or LocalExecutor(),
            dispatcher=dispatcher,
            bus=self.events,
            config=cfg,
            rng=rng or random.Random(),
            pools=dict(cfg.pools),
            source_limits=dict(cfg.source_limits),
        )
        self._runs: dict[str, ExecutionDriver] = {}
        self._started = False
        self.leases = leases
        self.me = ServerIdentity.here()
        self._keeper: LeaseKeeper | None = None
        self._held: set[str] = set()  # executions whose lease this engine holds
        self._held_lock = threading.Lock()
        self._applying: set[str] = set()  # control requests being carried out
        self._taking = False  # a takeover round is under way
        self._stopping = False  # shutdown() runs: its end releases every lease at once
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def storage(self) -> RunStorage:
        return self.rt.storage

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    async def start(self, *, recover: bool = True) -> list[str]:
        """Start the executor and resume every unfinished execution; returns their ids."""
        await self.rt.executor.start()
        self.rt.aborting = False
        self.rt.dispatcher.set_paused(self.rt.dispatcher.global_limit, False)
        self._started = True
        if self.leases is not None:
            return await self._start_leases(self.leases, recover=recover)
        if not recover:
            return []
        resumed = []
        for record in reversed(await self.rt.storage.list_executions(statuses=UNFINISHED)):
            try:
                run = await self._load(record, rerun=False)
            except Exception as exc:  # one unreadable execution never stops the engine
                logger.error("Cannot resume execution %s: %s", record.id, exc)
                continue
            logger.info("Resuming execution %s (%s)", record.id, record.status.value)
            self._launch(run)
            resumed.append(record.id)
        return resumed

    async def shutdown(self, *, grace: float = 0.0) -> None:
        """Stop: start nothing new, give running tasks ``grace`` seconds, then abandon them.

        Nothing is recorded for abandoned attempts, exactly as after a crash; the next
        ``start`` on the same storage resumes their executions.
        """
        self.rt.dispatcher.set_paused(self.rt.dispatcher.global_limit, True)
        # heartbeats go on renewing the leases until the tasks stopped, but nothing they find
        # is acted on any more (no takeover, no request)
        keeper, self._keeper = self._keeper, None
        self._stopping = True
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        jobs = [j for run in self._runs.values() for j in run._jobs]
        if jobs and grace > 0:
            await asyncio.wait(jobs, timeout=grace)
        self.rt.aborting = True
        for run in self._runs.values():
            run.cancel_timers()
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        self._runs.clear()
        if self.leases is not None and keeper is not None:
            await asyncio.to_thread(keeper.stop)
            try:  # released: another server (or this one's next start) resumes them at once
                await asyncio.to_thread(self.leases.stop, self.me.id, utcnow())
            except Exception as exc:  # they expire instead
                logger.warning("Could not release the leases of server %s: %s", self.me.id, exc)
            with self._held_lock:
                self._held.clear()
        await self.rt.executor.shutdown()
        self._started = self._stopping = False

    # -- executions --

    async def submit(
        self,
        workflow: WorkflowSpec | Mapping[str, Any] | str,
        *,
        params: Mapping[str, Any] | None = None,
        trigger: str = "manual",
        execution_id: str | None = None,
    ) -> str:
        """Validate and start a workflow; returns the new execution's id."""
        if not self._started:
            raise ConflictError("The engine is not started")
        spec = self._spec(workflow)
        record = ExecutionRecord(
            id=execution_id or uuid.uuid4().hex,
            workflow=spec.name,
            spec=dict(spec.document),
            params={**spec.params, **(params or {})},
            trigger=trigger,
        )
        await self.rt.storage.create_execution(record)
        await self._acquire(record.id)  # failing, it stays pending: a server claims it later
        self._launch(self._build(record, spec, [], []))
        return record.id

    async def wait(self, execution_id: str, timeout: float | None = None) -> ExecutionRecord:
        """Wait until the execution ends (or ``timeout``); returns its stored record."""
        run = self._runs.get(execution_id)
        if run is not None:
            async with asyncio.timeout(timeout):
                await asyncio.shield(run.done)
        return await self.rt.storage.get_execution(execution_id)

    async def pause(self, execution_id: str) -> None:
        """No new task of the execution starts; running ones finish. For an execution
        another server runs, the request goes to its owner (see :meth:`_forward`)."""
        run = await self._owned(execution_id, RunStatus.PAUSED)
        if run is None:
            await self._forward(execution_id, "pause", {RunStatus.PAUSED})
        else:
            await run.pause()

    async def resume(self, execution_id: str) -> None:
        run = await self._owned(execution_id, RunStatus.RUNNING)
        if run is None:
            await self._forward(execution_id, "resume", {RunStatus.RUNNING})
        else:
            await run.resume()

    async def cancel(self, execution_id: str, *, grace: float | None = None) -> None:
        """Cancel cooperatively, then forcibly after ``grace`` seconds; waits until done."""
        grace = self.rt.config.cancel_grace if grace is None else grace
        run = await self._owned(execution_id, RunStatus.CANCELLED)
        if run is None:
            await self._forward(execution_id, "cancel", {RunStatus.CANCELLED}, grace)
        else:
            await run.cancel(grace)

    async def rerun(self, execution_id: str) -> None:
        """Re-run a failed or cancelled execution from its failures: tasks that completed keep
        their results and are not run again; failed, cancelled and skipped work runs anew."""
        if execution_id in self._runs:
            run = self._runs[execution_id]
            check_transition(Kind.EXECUTION, execution_id, run.record.status, RunStatus.RETRYING)
        record = await self.rt.storage.get_execution(execution_id)
        check_transition(Kind.EXECUTION, execution_id, record.status, RunStatus.RETRYING)
        await self._acquire(execution_id)
        run = await self._load(record, rerun=True)
        self._runs[execution_id] = run
        run.spawn(run.rerun())
        self._watch(run)

    def get_run(self, execution_id: str) -> ExecutionDriver | None:
        return self._runs.get(execution_id)

    def set_pool(self, name: str, slots: int | None) -> None:
        """Create or resize a pool (call on the engine's loop); ``None`` removes it: new
        executions naming it are refused, tasks already holding its slots finish."""
        if slots is None:
            self.rt.pools.pop(name, None)
            return
        self.rt.pools[name] = slots
        d = self.rt.dispatcher
        d.set_capacity(d.constraint(f"pool:{name}", slots), slots)

    def set_source_limits(self, limits: Mapping[str, int]) -> None:
        """Replace the per-source caps (sources' ``max_concurrent`` option); call on the loop."""
        old = set(self.rt.source_limits)
        self.rt.source_limits = dict(limits)
        d = self.rt.dispatcher
        for source in old | set(limits):
            d.set_capacity(d.constraint(f"source:{source}"), self.rt.source_limit(source))

    def progress(self, execution_id: str) -> dict[str, dict[str, Any]] | None:
        """Live figures per step of an execution this engine runs (the data of its
        ``progress`` events, computed now), or None when it does not run here."""
        run = self._runs.get(execution_id)
        if run is None:
            return None
        now = time.monotonic()
        return {s.id: run.progress_data(s, now) for s in run.order}

    def load(self) -> EngineLoad:
        """What is in flight now (read-only; call on the engine's loop): queued and running
        tasks per execution and per source, with the limits that apply."""
        return measure_load(
            [(run.core, run.started_mono) for run in self._runs.values()],
            self.rt.config,
            self.rt.source_limit,
            started=self._started,
            executor=self.rt.executor.name,
            now_mono=time.monotonic(),
        )

    # -- leases: several servers on one store --

    def _lease_until(self) -> tuple[Any, Any]:
        now = utcnow()
        return now, now + timedelta(seconds=self.rt.config.lease_seconds)

    async def _start_leases(self, leases: LeaseStore, *, recover: bool) -> list[str]:
        """Register this server, take over what it may (``recover``: every unfinished
        execution whose lease lapsed; on a single-server store every unfinished one), then
        start the heartbeat."""
        cfg = self.rt.config
        self.me = ServerIdentity.here()  # a new identity at every start
        try:
            await asyncio.to_thread(leases.register, self.me, utcnow())
        except StoreUnavailableError as exc:
            # a read-only store (or one that refuses writes) still serves reads: this server
            # then owns no execution and takes none over; starting one answers 503 as any
            # other write does
            logger.warning("execution leases are off, the store refuses writes: %s", exc)
            return []
        resumed: list[str] = []
        if recover:
            now, until = self._lease_until()
            force = leases.single_server
            beat = await asyncio.to_thread(
                leases.beat, self.me.id, now, until, scan=True,
                stale_before=now - timedelta(seconds=cfg.lease_seconds), force=force,
            )  # fmt: skip
            resumed = await self._take_over(beat.claimable, force=force)
        self._keeper = LeaseKeeper(
            leases, self.me, asyncio.get_running_loop(),
            heartbeat=cfg.heartbeat_seconds, lease=cfg.lease_seconds, takeover=recover,
            held=self._held_now, on_beat=self._on_beat,
        )  # fmt: skip
        self._keeper.start()
        return resumed

    def _held_now(self) -> frozenset[str]:
        with self._held_lock:
            return frozenset(self._held)

    def _hold(self, execution_id: str, held: bool = True) -> None:
        with self._held_lock:
            if held:
                self._held.add(execution_id)
            else:
                self._held.discard(execution_id)

    async def _acquire(self, execution_id: str) -> None:
        """Own an execution this engine creates or re-runs."""
        if self.leases is None:
            return
        now, until = self._lease_until()
        await asyncio.to_thread(self.leases.acquire, self.me.id, execution_id, now, until)
        self._hold(execution_id)

    def _release(self, execution_id: str) -> None:
        """The execution ended here: its lease is no longer renewed."""
        self._hold(execution_id, False)
        if self.leases is not None and self._started and not self._stopping:
            call = asyncio.to_thread(self.leases.release, self.me.id, [execution_id], utcnow())
            spawn_background(asyncio.get_running_loop(), self._background, call)

    def _on_beat(self, beat: Beat, held_then: frozenset[str]) -> None:
        """On the loop, after each heartbeat: give up what was lost, carry out the control
        requests recorded for this server's executions, take over what lapsed."""
        if not self._started or self._keeper is None:  # stopping
            return
        loop = asyncio.get_running_loop()
        with self._held_lock:
            lost = (held_then & self._held) - beat.owned.keys()
        for execution_id in lost:
            self._abandon(execution_id)
        for execution_id, action in beat.owned.items():
            run = self._runs.get(execution_id)
            if action is None or run is None or execution_id in self._applying:
                continue
            if run.record.status in (RunStatus.PENDING, RunStatus.INITIALIZING):
                continue  # not running yet: the next heartbeat carries it out
            self._applying.add(execution_id)
            spawn_background(loop, self._background, self._apply_request(execution_id, action))
        if beat.claimable and not self._taking:
            self._taking = True
            spawn_background(loop, self._background, self._take_over(beat.claimable))

    async def _take_over(self, found: list[Claimable], *, force: bool = False) -> list[str]:
        """Claim each execution (one server wins each) and resume it as after a restart."""
        assert self.leases is not None
        resumed = []
        try:
            for c in found:
                if c.execution_id in self._runs:
                    continue
                now, until = self._lease_until()
                won = await asyncio.to_thread(
                    self.leases.claim, self.me.id, c, now, until, force=force
                )
                if not won:
                    continue
                self._hold(c.execution_id)
                try:
                    record = await self.rt.storage.get_execution(c.execution_id)
                    if record.status.finished:
                        self._release(c.execution_id)
                        continue
                    run = await self._load(record, rerun=False)
                except Exception as exc:  # one unreadable execution never stops the engine
                    logger.error("Cannot resume execution %s: %s", c.execution_id, exc)
                    continue
                logger.info(
                    "Server %s took over execution %s (%s) from %s",
                    self.me.id, record.id, record.status.value, c.owner_id or "no server",
                )  # fmt: skip
                self._launch(run)
                resumed.append(record.id)
        finally:
            self._taking = False
        return resumed

    def _abandon(self, execution_id: str) -> None:
        """Another server owns the execution now: stop running it here at once, writing
        nothing more for it (its driver sees a fenced storage and an aborting runtime)."""
        self._hold(execution_id, False)
        run = self._runs.pop(execution_id, None)
        if run is None:
            return
        logger.warning(
            "Server %s lost the lease of execution %s to another server: stopping it here",
            self.me.id, execution_id,
        )  # fmt: skip
        run.rt = replace(
            self.rt, aborting=True, storage=FencedStorage.of(self.rt.storage, execution_id)
        )
        run.cancel_timers()
        d = self.rt.dispatcher
        for tickets in run._tickets.values():
            for ticket in tickets.values():
                d.withdraw(ticket)
            tickets.clear()
        for job in list(run._jobs):
            job.cancel()
        for name in [run.limit.name, *run.constraint_names]:
            d.forget(name)
        if not run.done.done():
            run.done.set_result(run.record.status)

    async def _forward(
        self, execution_id: str, action: str, reached: set[RunStatus], grace: float = 0.0
    ) -> None:
        """A control request for an execution this engine does not run: record it on the
        lease for the owner's next heartbeat, then wait (a few heartbeats, plus a cancel's
        grace) until the stored status shows it. If it does not by then, it still takes
        effect when the owner, or the server that takes the execution over, reads it."""
        assert self.leases is not None
        if not await asyncio.to_thread(self.leases.request, execution_id, action):
            raise ConflictError(
                f"Execution '{execution_id}' is not running on any server",
                execution_id=execution_id,
            )
        cfg = self.rt.config
        deadline = time.monotonic() + 3 * cfg.heartbeat_seconds + grace + 2.0
        while time.monotonic() < deadline:
            status = (await self.rt.storage.get_execution(execution_id)).status
            if status in reached or status.finished:
                return
            await asyncio.sleep(0.1)

    async def _apply_request(self, execution_id: str, action: str) -> None:
        """Carry out a control request another server recorded for an execution run here."""
        assert self.leases is not None
        run = self._runs.get(execution_id)
        try:
            if run is None:
                return  # lost or ended meanwhile: the request stays for whoever runs it
            if action == "pause":
                await run.pause()
            elif action == "resume":
                await run.resume()
            elif action == "cancel":
                await run.cancel(self.rt.config.cancel_grace)
            else:
                logger.warning("Unknown control request %r for %s", action, execution_id)
        except ConflictError as exc:  # e.g. paused already: nothing to do
            logger.info("Control request %s of %s: %s", action, execution_id, exc)
        finally:
            self._applying.discard(execution_id)
        await asyncio.to_thread(self.leases.clear_request, execution_id, action)

    # -- internals --

    def _spec(self, workflow: WorkflowSpec | Mapping[str, Any] | str) -> WorkflowSpec:
        if isinstance(workflow, WorkflowSpec):
            if not workflow.document:
                raise InvalidInputError("Build workflow specs with parse_workflow()")
            workflow = workflow.document
        spec = parse_workflow(workflow, step_types=self.rt.registry.names())
        errors = [
            {"loc": f"steps[{i}].pool", "msg": f"unknown pool {s.pool!r}"}
            for i, s in enumerate(spec.steps)
            if s.pool is not None and s.pool not in self.rt.pools
        ]
        if errors:
            raise ValidationFailedError(
                f"Invalid workflow '{spec.name}': unknown pool", errors=errors
            )
        return spec

    async def _owned(self, execution_id: str, target: RunStatus) -> ExecutionDriver | None:
        """The driver of an execution this engine runs; None when another server may run it
        (leases on); ConflictError when the move is not allowed or nobody could run it."""
        run = self._runs.get(execution_id)
        if run is not None:
            return run
        record = await self.rt.storage.get_execution(execution_id)  # NotFoundError
        check_transition(Kind.EXECUTION, execution_id, record.status, target)
        if self.leases is not None:
            return None
        raise ConflictError(
            f"Execution '{execution_id}' is not running in this engine", execution_id=execution_id
        )

    def _launch(self, run: ExecutionDriver) -> None:
        self._runs[run.id] = run
        run.spawn(run.start())
        self._watch(run)

    def _watch(self, run: ExecutionDriver) -> None:
        def done(_: object) -> None:
            if self._runs.get(run.id) is run:
                del self._runs[run.id]
            if self.leases is not None and run.record.status.finished and not run.rt.aborting:
                self._release(run.id)

        run.done.add_done_callback(done)

    async def _load(self, record: ExecutionRecord, *, rerun: bool) -> ExecutionDriver:
        """Rebuild an execution from storage. Attempts left running by a crash are closed as
        cancelled (not final), so their tasks run again, unless the task was interrupted
        ``max_crashes`` times: then it is quarantined (failed for good), so a task that kills
        its process is not resumed forever."""
        spec = self._spec(record.spec)
        steps = await self.rt.storage.get_steps(record.id)
        attempts = await self.rt.storage.list_task_attempts(record.id)
        closed = st.close_interrupted(
            attempts, record.started_at, self.rt.config.max_crashes, utcnow()
        )
        for a in closed:
            if a.error_type == st.QUARANTINED_TYPE:
                logger.warning(
                    "Execution %s: task '%s/%s' quarantined: %s",
                    record.id, a.step_id, a.task_key, a.error,
                )  # fmt: skip
            await self.rt.storage.finish_task_attempt(
                a.key, status=a.status, finished_at=a.finished_at or utcnow(), error=a.error,
                error_type=a.error_type, final=a.final,
            )  # fmt: skip
            if a.final:
                data = {"attempt": a.attempt, "error": a.error}
                await self.rt.storage.append_event(
                    RunEvent(record.id, EventKind.TASK_FAILED, step_id=a.step_id,
                             task_key=a.task_key, data=data)
                )  # fmt: skip
        return self._build(record, spec, steps, attempts, rerun=rerun)

    def _build(
        self,
        record: ExecutionRecord,
        spec: WorkflowSpec,
        records: list[StepRecord],
        attempts: list[TaskAttemptRecord],
        *,
        rerun: bool = False,
    ) -> ExecutionDriver:
        core = ExecutionCore.from_records(
            record, spec, records, attempts, rerun=rerun, rng=self.rt.rng
        )
        return ExecutionDriver(self.rt, core)
