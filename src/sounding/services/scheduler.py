"""The scheduler: cron and interval schedules, and event triggers, for the server's engine.

Runs as a task on the engine's event loop, polling every 200 ms. A due tick is claimed in
the store (unique per workflow and tick time) before its execution starts, so two servers on
one PostgreSQL never start two executions for one tick. Overlap policies: ``skip`` (the tick
is claimed and dropped while an execution of the workflow runs), ``queue`` (the tick waits
until it ends), ``cancel_previous``, ``allow`` (run side by side). Triggers: another
workflow ended (``workflow``), a scan found changes on a source (``source_changed``), an
HTTP call (``webhook``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sounding.domain.auth import system_principal
from sounding.domain.executions import ExecutionDetail
from sounding.domain.orchestration import EventKind, RunEvent, RunStatus
from sounding.domain.timestamps import as_utc, format_timestamp
from sounding.errors import AuthenticationError, ConflictError, NotFoundError, SoundingError
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.scheduling import due_ticks
from sounding.orchestration.spec import WorkflowSpec
from sounding.services import change_impact, pools, workflows
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos import workflows as repo

logger = logging.getLogger(__name__)

ACTIVE = [
    RunStatus.PENDING,
    RunStatus.INITIALIZING,
    RunStatus.RUNNING,
    RunStatus.PAUSED,
    RunStatus.RETRYING,
]
TRIGGER_CHANGES = 100  # changes a source_changed trigger's payload lists, at most
TRIGGER_AFFECTED = 100  # downstream assets per change in it (affected_total says how many)
ON_TIME = timedelta(seconds=60)  # older ticks were missed; the catch-up policy decides


class Scheduler:
    def __init__(self, ctx: Context, host: workflows.EngineHost, poll: float = 0.2) -> None:
        self.ctx = ctx
        self.host = host
        self.poll = poll
        self.me = f"{socket.gethostname()}:{id(self):x}"
        self._task: asyncio.Task[None] | None = None
        self._specs: dict[tuple[str, int], WorkflowSpec] = {}
        self._pending: set[asyncio.Future[None]] = set()
        self._remove_listener = host.engine.events.add_listener(self._on_event)
        self.ticks_started = 0

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the timed rounds are on (triggers work either way)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        async def begin() -> None:
            self._task = asyncio.create_task(self._loop(), name="sounding-scheduler")

        self.host.call(begin())

    def stop(self) -> None:
        """Stop the rounds and the triggers (``Context.stop`` calls this)."""
        self._remove_listener()
        self.stop_polling()
        pending = list(self._pending)  # triggers still firing: ended, not left to the loop's close
        if pending and self.host.loop.is_running():

            async def end() -> None:
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

            self.host.call(end())

    def stop_polling(self) -> None:
        """Stop the timed rounds (triggers keep working); ``run_due`` can still be called."""
        if self._task is not None:
            task = self._task

            async def end() -> None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

            self.host.call(end())

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due(datetime.now(UTC))
            except Exception:  # one bad round must not stop scheduling
                logger.exception("Scheduler round failed")
            await asyncio.sleep(self.poll)

    # -- schedules -------------------------------------------------------------------------

    def _spec(self, row: Mapping[str, Any]) -> WorkflowSpec:
        key = (row["name"], row["version"])
        if key not in self._specs:
            self._specs[key] = parse_workflow(row["spec"], step_types=self.host.registry.names())
        return self._specs[key]

    def _scheduled(self) -> list[tuple[dict[str, Any], datetime]]:
        with self.ctx.db.read() as conn:
            rows = [r for r in repo.list_workflows(conn, enabled=True) if r["spec"].get("schedule")]
            return [(r, repo.last_tick(conn, r["name"]) or r["created_at"]) for r in rows]

    async def run_due(self, now: datetime) -> int:
        """Start every due tick; returns how many executions started."""
        started = 0
        for row, since in await asyncio.to_thread(self._scheduled):
            spec = self._spec(row)
            assert spec.schedule is not None
            for tick in due_ticks(spec.schedule, since, now, on_time=ON_TIME):
                outcome = await self._fire_tick(spec, row["spec"], tick)
                if outcome == "wait":
                    break
                started += outcome == "started"
        return started

    async def _active(self, name: str) -> list[str]:
        records = await self.host.engine.storage.list_executions(statuses=ACTIVE, workflow=name)
        return [r.id for r in records]

    async def _fire_tick(self, spec: WorkflowSpec, doc: dict[str, Any], tick: datetime) -> str:
        assert spec.schedule is not None
        running = await self._active(spec.name)
        if running and spec.schedule.overlap == "queue":
            return "wait"  # the tick stays due until the running execution ends
        if not await asyncio.to_thread(self._claim, spec.name, tick):
            return "taken"  # another server (or an earlier round) has it
        if running and spec.schedule.overlap == "skip":
            logger.info("Skipped tick %s of %s: an execution is running", tick, spec.name)
            return "skipped"
        if spec.schedule.overlap == "cancel_previous":
            for execution_id in running:
                await self.host.engine.cancel(execution_id)
        await pools.refresh_async(self.ctx, self.host.engine)
        execution_id = await self.host.engine.submit(doc, trigger="schedule")
        await asyncio.to_thread(self._note, spec.name, tick, execution_id)
        self.ticks_started += 1
        return "started"

    def _claim(self, name: str, tick: datetime) -> bool:
        with self.ctx.db.write() as conn:
            return repo.claim_tick(conn, name, tick, claimed_by=self.me)

    def _note(self, name: str, tick: datetime, execution_id: str) -> None:
        with self.ctx.db.write() as conn:
            repo.set_tick_execution(conn, name, tick, execution_id)
            audit.record(
                conn,
                "scheduler",
                "workflow.execute",
                "workflow",
                name,
                {
                    "execution_id": execution_id,
                    "trigger": "schedule",
                    "tick": format_timestamp(tick),
                },
            )

    # -- triggers --------------------------------------------------------------------------

    def _triggered(self, kind: str, **match: str) -> list[dict[str, Any]]:
        with self.ctx.db.read() as conn:
            rows = repo.list_workflows(conn, enabled=True)
        return [
            r
            for r in rows
            for t in r["spec"].get("triggers") or []
            if t.get("type") == kind and all(str(t.get(k)) == v for k, v in match.items())
        ]

    async def _start(
        self,
        rows: list[dict[str, Any]],
        trigger: str,
        params: Mapping[str, Any] | None = None,
    ) -> list[str]:
        ids = []
        for row in rows:
            ids.append(await self.host.engine.submit(row["spec"], params=params, trigger=trigger))
            logger.info("Started %s (%s)", row["name"], trigger)
        return ids

    def _on_event(self, event: RunEvent) -> None:
        """On the engine loop: a finished execution may trigger other workflows."""
        if event.kind != EventKind.EXECUTION_STATUS or event.status not in workflows.TERMINAL:
            return

        async def fire() -> None:
            record = await self.host.engine.storage.get_execution(event.execution_id)
            rows = await asyncio.to_thread(self._triggered, "workflow", workflow=record.workflow)
            # read after a hop or two on a busy loop: a workflow created after the upstream
            # ended is not one of its subscribers (an existing one re-applied meanwhile is
            # still started: its updated_at would drop one re-applied unchanged, a lost run)
            wanted = [
                r
                for r in rows
                if _wants(r, record.workflow, event.status) and as_utc(r["created_at"]) <= event.at
            ]
            await self._start(wanted, f"workflow:{record.workflow}")

        task = asyncio.ensure_future(fire())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def on_scan(self, run: Mapping[str, Any]) -> None:
        """From the scanning thread: a scan that changed its source triggers workflows."""
        report = run.get("report") or {}
        if not any(report.get(k) for k in ("created", "schema_changed", "deleted", "restored")):
            return
        source = str(run["source"])
        if self.host.loop.is_closed() or not self.host.loop.is_running():
            return  # shutting down: no engine to start anything on
        # the workflows subscribed when the scan ended, read here: read later, on a busy loop,
        # a workflow applied after the scan would be started with this scan's changes
        rows = self._triggered("source_changed", source=source)
        if not rows:
            return

        async def fire() -> None:
            changes = await asyncio.to_thread(self._changes, int(run["id"]))
            payload = {"source": source, "scan_id": int(run["id"]), "changes": changes}
            await self._start(rows, f"source_changed:{source}", {"source_changed": payload})

        asyncio.run_coroutine_threadsafe(fire(), self.host.loop)

    def _changes(self, scan_id: int) -> list[dict[str, Any]]:
        """The payload of a ``source_changed`` trigger: the scan's changes with their
        downstream impact (bounded; an empty list if it cannot be read)."""
        try:
            found = change_impact.impact_of_scan(
                self.ctx, scan_id, TRIGGER_CHANGES, TRIGGER_AFFECTED
            )
        except Exception:  # the trigger fires all the same
            logger.exception("The change impact of scan %s could not be read", scan_id)
            return []
        return [c.to_dict() for c in found]

    def webhook(self, name: str, secret: str | None) -> str:
        """Start ``name`` for an HTTP call that carries the trigger's secret."""
        with self.ctx.db.read() as conn:
            row = repo.get(conn, name)
        expected = [
            str(t.get("secret", ""))
            for t in (row["spec"].get("triggers") or [] if row is not None else [])
            if t.get("type") == "webhook"
        ]
        if row is None or not expected:
            raise NotFoundError(f"Workflow '{name}' has no webhook trigger", workflow=name)
        if not any(e and secret and hmac.compare_digest(e, secret) for e in expected):
            raise AuthenticationError("Missing or wrong webhook secret (X-Sounding-Secret)")
        if not row["enabled"]:  # told only to a caller holding the secret
            raise ConflictError(
                f"Workflow '{name}' is disabled; `sounding workflow enable {name}`",
                workflow=name,
            )
        rows = [row]
        (execution_id,) = self.host.call(self._start(rows, "webhook"))
        return execution_id


def _wants(row: Mapping[str, Any], upstream: str, status: RunStatus | None) -> bool:
    for t in row["spec"].get("triggers") or []:
        if t.get("type") == "workflow" and t.get("workflow") == upstream:
            on = t.get("on", "completed")
            return on == "any" or (status is not None and on == status.value)
    return False


def start(ctx: Context) -> Scheduler:
    """The server's scheduler over its engine: ``ctx.start()``, then its scheduler."""
    ctx.start()
    assert ctx.scheduler is not None
    return ctx.scheduler


def webhook(ctx: Context, name: str, secret: str | None) -> ExecutionDetail:
    scheduler = ctx.scheduler
    if scheduler is None:
        raise SoundingError("The scheduler is not running in this process")
    execution_id = scheduler.webhook(name, secret)
    return workflows.get_execution(ctx, system_principal("webhook", name), execution_id)
