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
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Any

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
from sounding.errors import ConflictError, InvalidInputError, ValidationFailedError
from sounding.orchestration import state as st
from sounding.orchestration.config import EngineConfig
from sounding.orchestration.core import ExecutionCore
from sounding.orchestration.driver import ExecutionDriver, Runtime, on_admitted
from sounding.orchestration.events import EventBus
from sounding.orchestration.executors.base import Executor
from sounding.orchestration.executors.local import LocalExecutor
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
        await self.rt.executor.shutdown()
        self._started = False

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
        """No new task of the execution starts; running ones finish."""
        await (await self._owned(execution_id, RunStatus.PAUSED)).pause()

    async def resume(self, execution_id: str) -> None:
        await (await self._owned(execution_id, RunStatus.RUNNING)).resume()

    async def cancel(self, execution_id: str, *, grace: float | None = None) -> None:
        """Cancel cooperatively, then forcibly after ``grace`` seconds; waits until done."""
        run = await self._owned(execution_id, RunStatus.CANCELLED)
        await run.cancel(self.rt.config.cancel_grace if grace is None else grace)

    async def rerun(self, execution_id: str) -> None:
        """Re-run a failed or cancelled execution from its failures: tasks that completed keep
        their results and are not run again; failed, cancelled and skipped work runs anew."""
        if execution_id in self._runs:
            run = self._runs[execution_id]
            check_transition(Kind.EXECUTION, execution_id, run.record.status, RunStatus.RETRYING)
        record = await self.rt.storage.get_execution(execution_id)
        check_transition(Kind.EXECUTION, execution_id, record.status, RunStatus.RETRYING)
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

    async def _owned(self, execution_id: str, target: RunStatus) -> ExecutionDriver:
        run = self._runs.get(execution_id)
        if run is not None:
            return run
        record = await self.rt.storage.get_execution(execution_id)  # NotFoundError
        check_transition(Kind.EXECUTION, execution_id, record.status, target)
        raise ConflictError(
            f"Execution '{execution_id}' is not running in this engine", execution_id=execution_id
        )

    def _launch(self, run: ExecutionDriver) -> None:
        self._runs[run.id] = run
        run.spawn(run.start())
        self._watch(run)

    def _watch(self, run: ExecutionDriver) -> None:
        run.done.add_done_callback(lambda _: self._runs.pop(run.id, None))

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
