"""Run storage: the one door through which the engine records executions, steps, task attempts
and events, so that a new process can resume what an old one left unfinished.

One small protocol per concern (Dagster's ``_core/storage/runs/base.py`` idea); ``RunStorage``
is all four. Implementations satisfy them structurally, so an SQL implementation in
``sounding.store`` needs only ``sounding.domain``. Every implementation must pass the contract
suite in ``tests/orchestration/storage_contract.py``. Contract highlights:

* Records handed in and out are copies: mutating one never changes what is stored.
* Updates are compare-and-set on the status the caller expects (``ConflictError`` otherwise), so
  two writers can never both move the same thing.
* A task attempt is unique on ``(execution_id, step_id, task_key, attempt)``; finishing one is
  idempotent (the same outcome twice records once) and a finished attempt never changes outcome.
* The event log is append-only with increasing ``seq`` per storage; readers page with ``after``.
"""

from __future__ import annotations

import copy
import itertools
import logging
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sounding.domain.orchestration import (
    ExecutionRecord,
    RunEvent,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
    TaskKey,
)
from sounding.errors import ConflictError, NotFoundError

logger = logging.getLogger(__name__)


@runtime_checkable
class ExecutionStorage(Protocol):
    async def create_execution(self, record: ExecutionRecord) -> None:
        """Insert a new execution; ``ConflictError`` if the id exists."""

    async def get_execution(self, execution_id: str) -> ExecutionRecord:
        """The execution; ``NotFoundError`` if unknown."""

    async def list_executions(
        self,
        *,
        statuses: Collection[RunStatus] | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[ExecutionRecord]:
        """Newest first, filtered by status and workflow name."""

    async def update_execution(self, record: ExecutionRecord, *, expected: RunStatus) -> None:
        """Store status, started_at, finished_at and error if the stored status is ``expected``.

        ``ConflictError`` if it is not; ``NotFoundError`` if the execution is unknown.
        """


@runtime_checkable
class StepStorage(Protocol):
    async def add_steps(self, records: Sequence[StepRecord]) -> None:
        """Insert step executions; ``ConflictError`` (nothing inserted) if one exists."""

    async def get_steps(self, execution_id: str) -> list[StepRecord]:
        """The execution's steps in insertion order (empty if none)."""

    async def update_step(self, record: StepRecord, *, expected: RunStatus) -> None:
        """Store status, counts, times and reason if the stored status is ``expected``."""


@runtime_checkable
class TaskAttemptStorage(Protocol):
    async def start_task_attempt(self, record: TaskAttemptRecord) -> None:
        """Insert a running attempt; ``ConflictError`` if its key exists already."""

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
        """Record the outcome. True if recorded now, False if this outcome was already there.

        ``ConflictError`` if it already finished differently; ``NotFoundError`` if never started.
        ``final`` says no further attempt follows (False for an attempt cut short by a crash).
        """

    async def list_task_attempts(
        self, execution_id: str, *, step_id: str | None = None
    ) -> list[TaskAttemptRecord]:
        """Attempts ordered by step, task key and attempt number."""


@runtime_checkable
class EventLog(Protocol):
    async def append_event(self, event: RunEvent) -> int:
        """Append and return the event's ``seq`` (strictly increasing)."""

    async def list_events(
        self, execution_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[RunEvent]:
        """The execution's events with ``seq > after``, oldest first."""


@runtime_checkable
class RunStorage(ExecutionStorage, StepStorage, TaskAttemptStorage, EventLog, Protocol):
    """Everything the engine needs to be durable."""


class InMemoryRunStorage:
    """Run storage in dicts; for tests and throw-away runs. Safe on one event loop."""

    def __init__(self) -> None:
        self._executions: dict[str, ExecutionRecord] = {}
        self._steps: dict[str, dict[str, StepRecord]] = {}
        self._attempts: dict[TaskKey, TaskAttemptRecord] = {}
        self._events: dict[str, list[RunEvent]] = {}
        self._seq = itertools.count(1)

    # -- executions --

    async def create_execution(self, record: ExecutionRecord) -> None:
        if record.id in self._executions:
            raise ConflictError(f"Execution '{record.id}' exists already", execution_id=record.id)
        self._executions[record.id] = _copy_execution(record)

    async def get_execution(self, execution_id: str) -> ExecutionRecord:
        return _copy_execution(self._execution(execution_id))

    async def list_executions(
        self,
        *,
        statuses: Collection[RunStatus] | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[ExecutionRecord]:
        found = [
            _copy_execution(r)
            for r in reversed(self._executions.values())
            if (statuses is None or r.status in statuses)
            and (workflow is None or r.workflow == workflow)
        ]
        return found[:limit] if limit is not None else found

    async def update_execution(self, record: ExecutionRecord, *, expected: RunStatus) -> None:
        stored = self._execution(record.id)
        _expect(stored.status, expected, "execution", record.id)
        stored.status = record.status
        stored.started_at = record.started_at
        stored.finished_at = record.finished_at
        stored.error = record.error

    def _execution(self, execution_id: str) -> ExecutionRecord:
        try:
            return self._executions[execution_id]
        except KeyError:
            raise NotFoundError(
                f"Execution '{execution_id}' not found", execution_id=execution_id
            ) from None

    # -- steps --

    async def add_steps(self, records: Sequence[StepRecord]) -> None:
        for rec in records:
            self._execution(rec.execution_id)
            if rec.step_id in self._steps.get(rec.execution_id, {}):
                raise ConflictError(
                    f"Step '{rec.step_id}' of execution '{rec.execution_id}' exists already",
                    execution_id=rec.execution_id,
                    step_id=rec.step_id,
                )
        for rec in records:
            self._steps.setdefault(rec.execution_id, {})[rec.step_id] = replace(rec)

    async def get_steps(self, execution_id: str) -> list[StepRecord]:
        return [replace(r) for r in self._steps.get(execution_id, {}).values()]

    async def update_step(self, record: StepRecord, *, expected: RunStatus) -> None:
        stored = self._steps.get(record.execution_id, {}).get(record.step_id)
        if stored is None:
            raise NotFoundError(
                f"Step '{record.step_id}' of execution '{record.execution_id}' not found",
                execution_id=record.execution_id,
                step_id=record.step_id,
            )
        _expect(stored.status, expected, "step", f"{record.execution_id}/{record.step_id}")
        self._steps[record.execution_id][record.step_id] = replace(record)

    # -- task attempts --

    async def start_task_attempt(self, record: TaskAttemptRecord) -> None:
        if record.key in self._attempts:
            raise ConflictError(
                f"Task attempt {record.key} was started already", key=str(record.key)
            )
        self._attempts[record.key] = replace(record, result=copy.deepcopy(record.result))

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
        stored = self._attempts.get(key)
        if stored is None:
            raise NotFoundError(f"Task attempt {key} was never started", key=str(key))
        if stored.status is not RunStatus.RUNNING:
            if stored.status is status:
                return False
            raise ConflictError(
                f"Task attempt {key} ended {stored.status.value} already, not {status.value}",
                key=str(key),
                current=stored.status.value,
                target=status.value,
            )
        stored.status = status
        stored.finished_at = finished_at
        stored.result = copy.deepcopy(result)
        stored.error = error
        stored.error_type = error_type
        stored.final = final
        return True

    async def list_task_attempts(
        self, execution_id: str, *, step_id: str | None = None
    ) -> list[TaskAttemptRecord]:
        found = [
            replace(a, result=copy.deepcopy(a.result))
            for k, a in self._attempts.items()
            if k.execution_id == execution_id and (step_id is None or k.step_id == step_id)
        ]
        return sorted(found, key=lambda a: (a.step_id, a.task_key, a.attempt))

    # -- events --

    async def append_event(self, event: RunEvent) -> int:
        seq = next(self._seq)
        self._events.setdefault(event.execution_id, []).append(
            replace(event, seq=seq, data=copy.deepcopy(event.data))
        )
        return seq

    async def list_events(
        self, execution_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[RunEvent]:
        found = [
            replace(e, data=copy.deepcopy(e.data))
            for e in self._events.get(execution_id, [])
            if e.seq is not None and e.seq > after
        ]
        return found[:limit] if limit is not None else found


def _copy_execution(record: ExecutionRecord) -> ExecutionRecord:
    return replace(record, spec=copy.deepcopy(record.spec), params=copy.deepcopy(record.params))


def _expect(current: RunStatus, expected: RunStatus, kind: str, ident: str) -> None:
    if current is not expected:
        raise ConflictError(
            f"The {kind} '{ident}' is {current.value}, not {expected.value} as expected",
            kind=kind,
            id=ident,
            current=current.value,
            expected=expected.value,
        )
