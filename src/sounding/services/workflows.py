"""Use cases for workflows and executions, over the engine hosted in this process.

The engine runs on its own event-loop thread (``EngineHost``); these functions are plain
synchronous calls for the API (run in its thread pool) and the CLI. Only ``sounding serve``
recovers unfinished executions at start-up: a CLI process never resumes executions a
server owns. Likewise only the server starts a Dask executor with the engine; elsewhere it
starts when the first task is submitted, so reading executions never starts a cluster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sounding.domain.auth import Permission, Principal
from sounding.domain.events import EventKind as CatalogEventKind
from sounding.domain.executions import (
    ExecutionDetail,
    ExecutionSummary,
    StoredWorkflow,
    StoredWorkflowApplied,
)
from sounding.domain.orchestration import EventKind, ExecutionRecord, RunEvent, RunStatus
from sounding.domain.timestamps import format_timestamp
from sounding.errors import InvalidInputError, NotFoundError, ParseError
from sounding.orchestration.engine import Engine, EngineConfig
from sounding.orchestration.executors.base import Executor
from sounding.orchestration.parsing import load_document, parse_workflow
from sounding.services import events, execution_status, executors, pools, versions, workflow_checks
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos import sources as sources_repo
from sounding.store.repos import workflows as repo
from sounding.store.run_leases import SqlLeases
from sounding.store.run_storage import RunReads, SqlRunStorage
from sounding.store.tables_orchestration import workflows as workflows_table

logger = logging.getLogger(__name__)
T = TypeVar("T")
TERMINAL = {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED}


class EngineHost:
    """The orchestration engine on a background event loop, callable from any thread.

    Made and stopped by :class:`Context` (``ctx.engine``, ``ctx.start()``, ``ctx.stop()``)."""

    def __init__(
        self, ctx: Context, config: EngineConfig | None = None, executor: Executor | None = None
    ) -> None:
        self.executor = executor or executors.build_executor(ctx.settings)
        self.registry = executors.step_types_for(ctx, self.executor)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="sounding-engine", daemon=True
        )
        self.engine = Engine(
            SqlRunStorage(ctx.db),
            registry=self.registry,
            executor=self.executor,
            config=config or pools.engine_config(ctx),  # the stored pools and source caps
            leases=SqlLeases(ctx.db),  # servers sharing the store share the executions
        )
        self.started = False
        self._ctx = ctx
        self._publishing: set[asyncio.Future[None]] = set()
        self.engine.events.add_listener(self._on_failed)

    def _on_failed(self, event: RunEvent) -> None:
        """On the engine loop: a failed execution is a catalog event (its workflow's alert
        subscribers are told), whoever started it: the server, its scheduler or the CLI."""
        if event.kind != EventKind.EXECUTION_STATUS or event.status != RunStatus.FAILED:
            return

        async def publish() -> None:
            record = await self.engine.storage.get_execution(event.execution_id)
            await asyncio.to_thread(_publish_failed, self._ctx, record)

        task = asyncio.ensure_future(publish())
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    def start(self, *, recover: bool) -> list[str]:
        """Start the loop thread and the engine; ``recover`` resumes unfinished executions
        (the server's start)."""
        self._thread.start()
        resumed = self.call(self.engine.start(recover=recover))
        self.started = True
        return resumed

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60) -> T:
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def listen(self, execution_id: str, callback: Callable[[RunEvent], None]) -> Callable[[], None]:
        """Call ``callback`` (on the engine thread) for every live event of one execution."""

        def listener(event: RunEvent) -> None:
            if event.execution_id == execution_id:
                callback(event)

        return self.engine.events.add_listener(listener)

    def stop(self, grace: float = 2.0) -> None:
        if self.started:
            try:
                self.call(self.engine.shutdown(grace=grace), timeout=grace + 30)
            finally:
                self.started = False
        if self._thread.is_alive() and self._publishing:
            try:  # the failures' events are written before the loop goes (a CLI run's too)
                self.call(_settle(list(self._publishing)), timeout=30)
            except Exception:
                logger.warning("Publishing an execution's failure did not finish", exc_info=True)
        if self._thread.is_alive():
            try:
                self.call(_cancel_remaining_tasks(), timeout=10)
            except Exception:  # a stuck task: the loop is stopped and closed all the same
                logger.warning("Engine tasks left running at stop", exc_info=True)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
        self.loop.close()


async def _settle(tasks: list[asyncio.Future[None]]) -> None:
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, Exception):
            logger.warning("Publishing an execution's failure failed", exc_info=result)


def _publish_failed(ctx: Context, record: ExecutionRecord) -> None:
    """The catalog event of a failed execution."""
    with ctx.db.write() as conn:
        events.publish(
            conn,
            CatalogEventKind.EXECUTION_FAILED,
            f"Workflow {record.workflow} failed: {record.error or 'no error recorded'}",
            workflow=record.workflow,
            payload={"execution_id": record.id, "trigger": record.trigger, "error": record.error},
        )


async def _cancel_remaining_tasks() -> None:
    """Cancel and await what the engine left on its loop after its shutdown (a planning step
    waiting for the store, a group commit in flight), as ``asyncio.run`` does before it
    closes a loop: a task still pending when the loop closes is destroyed later, at some
    garbage collection, with "Task was destroyed but it is pending" and an ignored
    exception from its coroutine."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


def _public_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    spec = row["spec"]
    return {
        "id": row["id"],
        "name": row["name"],
        "version": row["version"],
        "enabled": bool(row["enabled"]),
        "strategy": spec.get("strategy", "graph_based"),
        "steps": tuple(s.get("id") for s in spec.get("steps", [])),
        "schedule": spec.get("schedule"),
        "spec": spec,
        "updated_at": row.get("updated_at"),
        "updated_by": row.get("updated_by"),
        "revision": row.get("row_version"),
    }


def _public_workflow(row: Mapping[str, Any]) -> StoredWorkflow:
    return StoredWorkflow(**_public_fields(row))


def apply_workflow(
    ctx: Context,
    actor: Principal,
    document: str | Mapping[str, Any],
    *,
    if_match: str | None = None,
) -> StoredWorkflowApplied:
    """Validate and store a workflow definition (a new version when it changed);
    ``if_match`` replaces it only if it is still the one read (an ETag)."""
    actor.require(Permission.SCAN_RUN)
    doc = load_document(document) if isinstance(document, str) else dict(document)
    registry = ctx.step_types  # plain data: validating starts no engine
    step_types = registry.names()

    def parse(d: Any) -> Any:
        return parse_workflow(d, step_types=step_types, callables=registry.callables)

    if not isinstance(doc, Mapping):
        parse(doc)  # raises, saying what a workflow is
    spec = workflow_checks.check_workflow(doc, _known(ctx), parse)
    with ctx.db.write() as conn:
        if if_match is not None:
            found = repo.get(conn, spec.name)
            what = f"Workflow '{spec.name}'"
            versions.check(conn, workflows_table, found["id"] if found else None, if_match, what)
        row, changed = repo.put(conn, spec.name, dict(spec.document), actor=actor.name)
        row = repo.get(conn, spec.name) or row  # as stored, with its new revision
        if changed:
            audit.record(
                conn,
                actor.name,
                "workflow.apply",
                "workflow",
                spec.name,
                {"version": row["version"]},
            )
    return StoredWorkflowApplied(**_public_fields(row), changed=changed)


def apply_workflow_body(
    ctx: Context,
    actor: Principal,
    body: bytes,
    content_type: str,
    if_match: str | None = None,
) -> StoredWorkflowApplied:
    """An HTTP request body: YAML when the content type says so, else JSON; ``if_match`` as
    for ``apply_workflow``."""
    actor.require(Permission.SCAN_RUN)
    text = body.decode("utf-8", errors="replace")
    if "yaml" in content_type.lower():
        return apply_workflow(ctx, actor, text, if_match=if_match)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"Workflow body is not valid JSON at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg} (send YAML with Content-Type: application/yaml)",
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    if not isinstance(doc, Mapping):
        raise InvalidInputError("A workflow must be a JSON object with 'name' and 'steps'")
    return apply_workflow(ctx, actor, doc, if_match=if_match)


def set_enabled(ctx: Context, actor: Principal, name: str, enabled: bool) -> StoredWorkflow:
    """Pause (``False``) or resume a workflow's schedule and triggers. On resuming, schedule
    ticks that fell while it was disabled are missed ticks: its ``catchup`` policy decides
    (``none`` runs none of them, ``latest`` the newest, ``all`` each)."""
    actor.require(Permission.SCAN_RUN)
    with ctx.db.write() as conn:
        row = repo.get(conn, name)
        if row is None:
            raise NotFoundError(
                f"Workflow '{name}' not found; see `sounding workflow list`", workflow=name
            )
        if row["enabled"] != enabled:
            repo.set_enabled(conn, name, enabled, actor=actor.name)
            schedule = row["spec"].get("schedule")
            catchup = schedule.get("catchup", "latest") if isinstance(schedule, Mapping) else None
            if enabled and catchup == "none":
                # the scheduler carries on after the last claimed tick: claim "now"
                repo.claim_tick(conn, name, datetime.now(UTC), claimed_by="enabled")
            action = "workflow.enable" if enabled else "workflow.disable"
            audit.record(conn, actor.name, action, "workflow", name)
    return get_workflow(ctx, actor, name)


def _known(ctx: Context) -> workflow_checks.Known:
    with ctx.db.read() as conn:
        names = sources_repo.names_by_id(conn).values()
    return workflow_checks.Known(
        sources=frozenset(names),
        pools=pools.pool_names(ctx),
        resources=frozenset(ctx.settings.resources),
    )


def list_workflows(
    ctx: Context, actor: Principal, *, include_adhoc: bool = False
) -> list[StoredWorkflow]:
    """Stored workflows; the ad-hoc ``scan:NAME`` ones of ``sounding scan`` only when asked."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        rows = repo.list_workflows(conn)
    return [_public_workflow(r) for r in rows if include_adhoc or not r["name"].startswith("scan:")]


def get_workflow(ctx: Context, actor: Principal, name: str) -> StoredWorkflow:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = repo.get(conn, name)
    if row is None:
        raise NotFoundError(
            f"Workflow '{name}' not found; see `sounding workflow list`", workflow=name
        )
    return _public_workflow(row)


def delete_workflow(
    ctx: Context, actor: Principal, name: str, *, if_match: str | None = None
) -> None:
    actor.require(Permission.SCAN_RUN)
    with ctx.db.write() as conn:
        if if_match is not None:
            found = repo.get(conn, name)
            what = f"Workflow '{name}'"
            versions.check(conn, workflows_table, found["id"] if found else None, if_match, what)
        if not repo.delete(conn, name):
            raise NotFoundError(f"Workflow '{name}' not found", workflow=name)
        audit.record(conn, actor.name, "workflow.delete", "workflow", name)


def execute(
    ctx: Context,
    actor: Principal,
    name: str,
    params: Mapping[str, Any] | None = None,
    trigger: str = "manual",
) -> ExecutionDetail:
    """Start an execution of a stored workflow; returns it (pending or already running)."""
    actor.require(Permission.SCAN_RUN)
    workflow = get_workflow(ctx, actor, name)
    engine = ctx.engine
    pools.refresh(ctx)  # pools changed by another process (the CLI while a server runs)
    execution_id = engine.call(engine.engine.submit(workflow.spec, params=params, trigger=trigger))
    with ctx.db.write() as conn:
        audit.record(
            conn,
            actor.name,
            "workflow.execute",
            "workflow",
            name,
            {"execution_id": execution_id, "trigger": trigger},
        )
    return get_execution(ctx, actor, execution_id)


def _public_execution(record: ExecutionRecord) -> ExecutionSummary:
    return ExecutionSummary(
        id=record.id,
        workflow=record.workflow,
        status=record.status.value,
        params=copy.deepcopy(record.params),
        trigger=record.trigger,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        error=record.error,
        steps=[s.get("id") for s in record.spec.get("steps", [])],
    )


def _run_status(value: str) -> RunStatus:
    try:
        return RunStatus(value)
    except ValueError:
        choices = ", ".join(s.value for s in RunStatus)
        raise InvalidInputError(
            f"Unknown execution status {value!r}; choose one of: {choices}", field="status"
        ) from None


def list_executions(
    ctx: Context,
    actor: Principal,
    workflow: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[ExecutionSummary]:
    actor.require(Permission.CATALOG_READ)
    statuses = [_run_status(status)] if status else None
    records = RunReads(ctx.db).list_executions(statuses=statuses, workflow=workflow, limit=limit)
    return [_public_execution(r) for r in records]


def get_execution(ctx: Context, actor: Principal, execution_id: str) -> ExecutionDetail:
    """An execution with each step's status, task counts (live while it runs in this process,
    the same figures as its progress events), percent, ETA and, for a failed step, its first
    task errors."""
    actor.require(Permission.CATALOG_READ)
    reads = RunReads(ctx.db)  # a read: no engine started for it
    record = reads.get_execution(execution_id)
    steps = reads.get_steps(execution_id)
    engine = ctx.running_engine  # live figures only where the execution may run
    live = engine.call(_live_progress(engine.engine, execution_id)) if engine else None
    attempts: list[Any] = []
    if any(s.status is RunStatus.FAILED for s in steps):
        attempts = reads.list_task_attempts(execution_id)
    errors = execution_status.step_errors(steps, attempts)
    summary = _public_execution(record)
    return ExecutionDetail(
        id=summary.id,
        workflow=summary.workflow,
        status=summary.status,
        params=summary.params,
        trigger=summary.trigger,
        created_at=summary.created_at,
        started_at=summary.started_at,
        finished_at=summary.finished_at,
        error=summary.error,
        steps=[
            execution_status.step_view(s, errors.get(s.step_id), (live or {}).get(s.step_id))
            for s in steps
        ],
        progress=execution_status.execution_progress(live),
    )


async def _live_progress(engine: Engine, execution_id: str) -> dict[str, dict[str, Any]] | None:
    return engine.progress(execution_id)


def control(ctx: Context, actor: Principal, execution_id: str, action: str) -> ExecutionDetail:
    """pause, resume, cancel or retry (re-run from failure) an execution."""
    actor.require(Permission.SCAN_RUN)
    engine = ctx.engine
    calls: dict[str, Callable[[str], Coroutine[Any, Any, None]]] = {
        "pause": engine.engine.pause,
        "resume": engine.engine.resume,
        "cancel": engine.engine.cancel,
        "retry": engine.engine.rerun,
    }
    if action == "pause":
        _await_started(engine, execution_id)
    engine.call(calls[action](execution_id))
    with ctx.db.write() as conn:
        audit.record(conn, actor.name, f"execution.{action}", "execution", execution_id)
    return get_execution(ctx, actor, execution_id)


def _await_started(engine: EngineHost, execution_id: str, timeout: float = 5.0) -> None:
    """An execution is paused once running: wait out the moment it is still initializing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = engine.call(engine.engine.storage.get_execution(execution_id)).status
        if status not in (RunStatus.PENDING, RunStatus.INITIALIZING):
            return
        time.sleep(0.02)


def runs_here(ctx: Context, execution_id: str) -> bool:
    """Whether this process runs the execution (only then are its live events published
    here; with several servers on one store another may run it)."""
    engine = ctx.running_engine
    return engine is not None and engine.engine.get_run(execution_id) is not None


def has_ended(ctx: Context, execution_id: str) -> bool:
    """Whether the execution is completed, failed or cancelled (its stored events are then
    all it will ever have)."""
    return RunReads(ctx.db).get_execution(execution_id).status in TERMINAL


def events_since(ctx: Context, execution_id: str, after: int = 0) -> list[RunEvent]:
    return RunReads(ctx.db).list_events(execution_id, after=after)


def wait(ctx: Context, execution_id: str, timeout: float | None = None) -> ExecutionSummary:
    engine = ctx.engine
    record = engine.call(engine.engine.wait(execution_id, timeout), timeout=None)
    return _public_execution(record)


def event_dict(event: RunEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "kind": event.kind.value,
        "execution_id": event.execution_id,
        "step_id": event.step_id,
        "task_key": event.task_key,
        "status": event.status.value if event.status else None,
        "data": event.data,
        "at": format_timestamp(event.at),
    }


def is_final(event: RunEvent) -> bool:
    return event.kind.value == "execution_status" and event.status in TERMINAL


def listen(
    ctx: Context, actor: Principal, execution_id: str, callback: Callable[[RunEvent], None]
) -> Callable[[], None]:
    """Live events of one execution (progress included); returns the unsubscribe function."""
    get_execution(ctx, actor, execution_id)  # 404 before anything is subscribed
    return ctx.engine.listen(execution_id, callback)
