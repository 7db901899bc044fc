"""Durable run storage: the orchestration engine's ``RunStorage`` protocol over the metadata store.

``SqlRunStorage`` behaves as ``sounding.orchestration.storage.InMemoryRunStorage`` does (both
pass ``tests/orchestration/storage_contract.py``) and satisfies the protocol structurally, so
the store never imports the engine. Each method runs its SQL in a worker thread so the event
loop never waits on the database, and each write is one short transaction through
``Database.write()`` (one writer at a time on SQLite), never held across an ``await``.

* Status updates are compare-and-set (``UPDATE ... WHERE status = :expected``); the row count
  tells whether this writer won, so two engines can never both move the same thing.
* Task attempts are unique on ``(execution_id, step_id, task_key, attempt)`` in the schema;
  finishing updates only a ``running`` attempt, so a repeated finish records nothing and a
  finished attempt never changes outcome.
* Event ``seq`` counts per execution (1, 2, 3 ...) in commit order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.orchestration import (
    ExecutionRecord,
    RunEvent,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
    TaskKey,
)
from sounding.errors import ConflictError, NotFoundError, SoundingError, StoreError
from sounding.store.db import Database
from sounding.store.repos import orchestration as repo

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RunReads:
    """The reads of :class:`SqlRunStorage` as plain calls, for a caller on no event loop: a
    process reads executions without starting an engine for it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_execution(self, execution_id: str) -> ExecutionRecord:
        found = self._read("read an execution", lambda c: repo.get_execution(c, execution_id))
        if found is None:
            raise _execution_not_found(execution_id)
        return found

    def list_executions(
        self,
        *,
        statuses: Collection[RunStatus] | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[ExecutionRecord]:
        return self._read(
            "list executions",
            lambda c: repo.list_executions(c, statuses=statuses, workflow=workflow, limit=limit),
        )

    def get_steps(self, execution_id: str) -> list[StepRecord]:
        return self._read("read steps", lambda c: repo.get_steps(c, execution_id))

    def list_task_attempts(
        self, execution_id: str, *, step_id: str | None = None
    ) -> list[TaskAttemptRecord]:
        return self._read(
            "list task attempts", lambda c: repo.list_attempts(c, execution_id, step_id=step_id)
        )

    def list_events(
        self, execution_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[RunEvent]:
        return self._read(
            "list events", lambda c: repo.list_events(c, execution_id, after=after, limit=limit)
        )

    def _read(self, what: str, work: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.db.read() as conn:
                return work(conn)

        return _boundary(what, run, None)


class SqlRunStorage:
    """Run storage in the metadata store's tables (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.reads = RunReads(db)

    # -- executions --

    async def create_execution(self, record: ExecutionRecord) -> None:
        if not await self._write("create an execution", lambda c: repo.insert_execution(c, record)):
            raise ConflictError(f"Execution '{record.id}' exists already", execution_id=record.id)

    async def get_execution(self, execution_id: str) -> ExecutionRecord:
        return await asyncio.to_thread(self.reads.get_execution, execution_id)

    async def list_executions(
        self,
        *,
        statuses: Collection[RunStatus] | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[ExecutionRecord]:
        return await asyncio.to_thread(
            self.reads.list_executions, statuses=statuses, workflow=workflow, limit=limit
        )

    async def update_execution(self, record: ExecutionRecord, *, expected: RunStatus) -> None:
        def work(conn: Connection) -> None:
            if not repo.update_execution(conn, record, expected):
                current = repo.execution_status(conn, record.id)
                if current is None:
                    raise _execution_not_found(record.id)
                raise _unexpected(current, expected, "execution", record.id)

        await self._write("update an execution", work)

    # -- steps --

    async def add_steps(self, records: Sequence[StepRecord]) -> None:
        def work(conn: Connection) -> None:
            by_execution: dict[str, list[str]] = {}
            for rec in records:
                by_execution.setdefault(rec.execution_id, []).append(rec.step_id)
            for execution_id, step_ids in by_execution.items():
                if repo.execution_status(conn, execution_id) is None:
                    raise _execution_not_found(execution_id)
                taken = sorted(repo.existing_steps(conn, execution_id, step_ids))
                if taken:
                    raise _step_exists(execution_id, taken[0])
            repo.insert_steps(conn, records)

        await self._write("add steps", work)  # a race lost to another server: ConflictError

    async def get_steps(self, execution_id: str) -> list[StepRecord]:
        return await asyncio.to_thread(self.reads.get_steps, execution_id)

    async def update_step(self, record: StepRecord, *, expected: RunStatus) -> None:
        def work(conn: Connection) -> None:
            if not repo.update_step(conn, record, expected):
                current = repo.step_status(conn, record.execution_id, record.step_id)
                if current is None:
                    raise NotFoundError(
                        f"Step '{record.step_id}' of execution '{record.execution_id}' not found",
                        execution_id=record.execution_id,
                        step_id=record.step_id,
                    )
                ident = f"{record.execution_id}/{record.step_id}"
                raise _unexpected(current, expected, "step", ident)

        await self._write("update a step", work)

    # -- task attempts --

    async def start_task_attempt(self, record: TaskAttemptRecord) -> None:
        inserted = await self._write(
            "start a task attempt",
            lambda c: repo.insert_attempt(c, record),
            # a taken key only makes the insert a no-op: a violation is the unknown execution
            on_integrity=lambda: _execution_not_found(record.execution_id),
        )
        if not inserted:
            raise ConflictError(
                f"Task attempt {record.key} was started already", key=str(record.key)
            )

    async def finish_task_attempt(
        self,
        key: TaskKey,
        *,
        status: RunStatus,
        finished_at: datetime,
        result: Any = None,
        error: str | None = None,
        error_type: str | None = None,
        final: bool = True,
    ) -> bool:
        outcome = repo.Outcome(status, finished_at, result, error, error_type, final)

        def work(conn: Connection) -> bool:
            if repo.finish_attempt(conn, key, outcome):
                return True
            current = repo.attempt_status(conn, key)
            if current is None:
                raise NotFoundError(f"Task attempt {key} was never started", key=str(key))
            if current is status:
                return False  # the same outcome again: recorded once
            raise ConflictError(
                f"Task attempt {key} ended {current.value} already, not {status.value}",
                key=str(key),
                current=current.value,
                target=status.value,
            )

        return await self._write("finish a task attempt", work)

    async def list_task_attempts(
        self, execution_id: str, *, step_id: str | None = None
    ) -> list[TaskAttemptRecord]:
        return await asyncio.to_thread(self.reads.list_task_attempts, execution_id, step_id=step_id)

    # -- events --

    async def append_event(self, event: RunEvent) -> int:
        def work(conn: Connection) -> int:
            seq = repo.next_event_seq(conn, event.execution_id)
            if seq is None:
                raise _execution_not_found(event.execution_id)
            repo.insert_event(conn, event, seq)
            return seq

        return await self._write("append an event", work)

    async def list_events(
        self, execution_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[RunEvent]:
        return await asyncio.to_thread(
            self.reads.list_events, execution_id, after=after, limit=limit
        )

    # -- plumbing --

    async def _write(
        self,
        what: str,
        work: Callable[[Connection], T],
        *,
        on_integrity: Callable[[], SoundingError] | None = None,
    ) -> T:
        """Run ``work`` in one write transaction in a worker thread; an error rolls it back."""

        def run() -> T:
            with self.db.write() as conn:
                return work(conn)

        return await asyncio.to_thread(_boundary, what, run, on_integrity)


def _boundary(
    what: str, run: Callable[[], T], on_integrity: Callable[[], SoundingError] | None
) -> T:
    """Database failures become our errors: a violated constraint (a race lost to another
    server) a ``ConflictError`` unless ``on_integrity`` says otherwise, the rest ``StoreError``."""
    try:
        return run()
    except sa.exc.IntegrityError as exc:
        if on_integrity is not None:
            raise on_integrity() from exc
        raise ConflictError(f"Run storage could not {what}: {exc.orig}", operation=what) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"Run storage failed to {what}: {exc}", operation=what) from exc


def _execution_not_found(execution_id: str) -> NotFoundError:
    return NotFoundError(f"Execution '{execution_id}' not found", execution_id=execution_id)


def _step_exists(execution_id: str, step_id: str) -> ConflictError:
    return ConflictError(
        f"Step '{step_id}' of execution '{execution_id}' exists already",
        execution_id=execution_id,
        step_id=step_id,
    )


def _unexpected(current: RunStatus, expected: RunStatus, kind: str, ident: str) -> ConflictError:
    return ConflictError(
        f"The {kind} '{ident}' is {current.value}, not {expected.value} as expected",
        kind=kind,
        id=ident,
        current=current.value,
        expected=expected.value,
    )
