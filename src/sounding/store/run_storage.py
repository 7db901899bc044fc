"""Durable run storage: the orchestration engine's ``RunStorage`` protocol over the metadata store.

``SqlRunStorage`` behaves as ``sounding.orchestration.storage.InMemoryRunStorage`` does (both
pass ``tests/orchestration/storage_contract.py``) and satisfies the protocol structurally, so
the store never imports the engine. Each method runs its SQL in a worker thread so the event
loop never waits on the database; writes go through ``Database.write()`` (one writer at a time
on SQLite), never held across an ``await``.

Writes are committed in groups (group commit): a write waits in a queue while the one before it
commits, then everything that queued meanwhile is committed in one transaction (at most
``MAX_BATCH`` writes), task attempt starts and finishes and events as one ``executemany`` each.
A caller's ``await`` returns only once its write is committed, as before, so whatever the
caller decides next (an attempt's body runs only after its start is stored; a task counts as
done only after its finish is stored) still follows a durable record. Writes that wait together
are concurrent (each caller awaits its write before it makes the next), so their order within
the group is free. If the group's transaction fails as a whole (a constraint, a lost race, a
finish that changed fewer rows than asked) it is rolled back and every write in it is retried
alone, so each caller gets exactly its own outcome or error.

* Status updates are compare-and-set (``UPDATE ... WHERE status = :expected``); the row count
  tells whether this writer won, so two engines can never both move the same thing.
* Task attempts are unique on ``(execution_id, step_id, task_key, attempt)`` in the schema;
  finishing updates only a ``running`` attempt, so a repeated finish records nothing and a
  finished attempt never changes outcome.
* Event ``seq`` counts per execution (1, 2, 3 ...) in commit order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
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
from sounding.errors import (
    ConflictError,
    NotFoundError,
    SoundingError,
    StoreConnectionLostError,
    StoreError,
)
from sounding.store.db import Database
from sounding.store.repos import orchestration as repo

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH = 512  # writes committed in one transaction at most


class _GroupRolledBackError(Exception):
    """A group's transaction must not commit: each of its writes is retried alone."""


@dataclass(slots=True, eq=False)
class _Write:
    """One queued write: ``work`` does it alone on a connection (returns its value or raises a
    ``SoundingError``); ``kind`` says whether a group may do it together with others of its kind
    (``start``, ``finish``, ``event``) or on its own in the group's transaction (``other``)."""

    what: str
    work: Callable[[Connection], Any]
    kind: str = "other"
    arg: Any = None
    on_integrity: Callable[[], SoundingError] | None = None
    future: asyncio.Future[Any] | None = None
    value: Any = None
    error: BaseException | None = None
    done: bool = field(default=False)


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
        self._queue: list[_Write] = []
        self._flusher: asyncio.Task[None] | None = None

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
        def work(conn: Connection) -> None:
            if not repo.insert_attempt(conn, record):
                raise ConflictError(
                    f"Task attempt {record.key} was started already", key=str(record.key)
                )

        await self._write(
            "start a task attempt",
            work,
            # a taken key only makes the insert a no-op: a violation is the unknown execution
            on_integrity=lambda: _execution_not_found(record.execution_id),
            kind="start",
            arg=record,
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

        return await self._write("finish a task attempt", work, kind="finish", arg=(key, outcome))

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

        return await self._write("append an event", work, kind="event", arg=event)

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
        kind: str = "other",
        arg: Any = None,
    ) -> T:
        """Queue ``work`` for the next group commit; return its value once it is committed."""
        loop = asyncio.get_running_loop()
        write = _Write(what, work, kind, arg, on_integrity, loop.create_future())
        self._queue.append(write)
        flusher = self._flusher
        if flusher is None or flusher.done() or flusher.get_loop() is not loop:
            self._flusher = loop.create_task(self._flush())
        assert write.future is not None
        value: T = await write.future
        return value

    async def _flush(self) -> None:
        """Commit what is queued, group by group, until the queue is empty."""
        queue = self._queue
        while queue:
            group = queue[:MAX_BATCH]
            del queue[:MAX_BATCH]
            try:
                await asyncio.to_thread(self._commit, group)
            except BaseException as exc:  # the loop is closing (or its threads are gone)
                for w in [*group, *queue]:
                    if w.future is not None and not w.future.done():
                        w.future.set_exception(
                            StoreError(f"Run storage stopped while writing: {exc!r}")
                        )
                queue.clear()
                if not isinstance(exc, Exception):  # cancelled, or the process is exiting
                    raise
                return
            for w in group:
                fut = w.future
                if fut is None or fut.done():  # the caller gave up waiting (cancelled)
                    continue
                if w.error is not None:
                    fut.set_exception(w.error)
                else:
                    fut.set_result(w.value)

    def _commit(self, group: list[_Write]) -> None:
        """In a worker thread: commit ``group`` in one transaction, or each write alone."""
        if len(group) > 1:
            try:
                with self.db.write() as conn:
                    _apply_group(conn, group)
                return
            except StoreConnectionLostError:  # the pool is renewed: retried one by one below
                logger.info("A group of %d writes lost its connection; retried one by one",
                            len(group))  # fmt: skip
            except SoundingError as exc:  # the store refused the write as a whole
                for w in group:
                    w.value, w.error = None, exc
                return
            except Exception:  # retried one by one below, so each gets its own outcome
                logger.debug("A group of %d writes is retried one by one", len(group))
        for w in group:
            w.value, w.error = None, None
            try:
                w.value = _boundary(w.what, functools.partial(self._alone, w), w.on_integrity)
            except Exception as exc:  # the caller's to raise
                w.error = exc

    def _alone(self, w: _Write) -> Any:
        with self.db.write() as conn:
            return w.work(conn)


def _apply_group(conn: Connection, group: list[_Write]) -> None:
    """Do every write of ``group`` on ``conn`` (one transaction): the others one by one, then
    task attempt starts, finishes and events each as one ``executemany``. A write that fails
    for its own reason (a ``SoundingError``: nothing written) gets that error and the rest go
    on; a database error or a partial outcome rolls the whole group back."""
    starts: list[_Write] = []
    finishes: list[_Write] = []
    events: list[_Write] = []
    for w in group:
        if w.kind == "start":
            starts.append(w)
        elif w.kind == "finish":
            finishes.append(w)
        elif w.kind == "event":
            events.append(w)
        else:
            try:
                w.value = w.work(conn)
            except SoundingError as exc:
                w.error = exc
    if starts:
        repo.insert_attempts(conn, [w.arg for w in starts])  # a taken key raises: one by one
    if finishes:
        changed = repo.finish_attempts(conn, [w.arg for w in finishes])
        if changed != len(finishes):  # one of them is not running: find out one by one
            raise _GroupRolledBackError
        for w in finishes:
            w.value = True
    if events:
        by_execution: dict[str, list[_Write]] = {}
        for w in events:
            by_execution.setdefault(w.arg.execution_id, []).append(w)
        rows: list[tuple[RunEvent, int]] = []
        for execution_id, writes in by_execution.items():
            last = repo.take_event_seqs(conn, execution_id, len(writes))
            if last is None:
                for w in writes:
                    w.error = _execution_not_found(execution_id)
                continue
            for i, w in enumerate(writes):
                w.value = last - len(writes) + 1 + i
                rows.append((w.arg, w.value))
        repo.insert_events(conn, rows)


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
