"""Run records (executions, step executions, task attempts, events) as SQL rows.

Functions over an open ``Connection`` that speak the records of ``sounding.domain.orchestration``.
Updates are compare-and-set: ``UPDATE ... WHERE status = :expected`` and the row count says
whether this writer won. ``SqlRunStorage`` turns the outcomes into the protocol's errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sounding.domain.orchestration import (
    EventKind,
    ExecutionRecord,
    RunEvent,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
    TaskKey,
)
from sounding.domain.timestamps import to_text
from sounding.store.tables_orchestration import (
    execution_events,
    executions,
    step_executions,
    task_attempts,
)

logger = logging.getLogger(__name__)

# --- portable helpers -------------------------------------------------------------------------


def insert_or_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING``: True if the row was inserted, False if a unique
    key was taken already (by a committed or a concurrent transaction)."""
    name = conn.dialect.name
    if name == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif name == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:
        raise NotImplementedError(f"insert_or_ignore on {name}")
    # a row comes back only if one was inserted (psycopg's rowcount says -1 here)
    return conn.execute(stmt.returning(*table.primary_key.columns)).first() is not None


def to_utc(value: datetime | None) -> datetime | None:
    """Times are stored in UTC and come out aware in UTC: SQLite keeps no offset (what it
    returns is naive UTC), and a naive time handed in is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    out = to_utc(value)
    assert out is not None
    return out


def jsonable(value: Any) -> Any:
    """``value`` if it is JSON already, else a copy with the odd objects as strings."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        logger.warning("Storing a value that is not plain JSON; its odd parts become text")
        return json.loads(json.dumps(value, default=to_text))
    return value


# --- executions -------------------------------------------------------------------------------


def insert_execution(conn: Connection, rec: ExecutionRecord) -> bool:
    """False if the id is taken."""
    return insert_or_ignore(
        conn,
        executions,
        {
            "id": rec.id,
            "workflow": rec.workflow,
            "spec": rec.spec,
            "status": rec.status.value,
            "params": rec.params,
            "trigger": rec.trigger,
            "created_at": _utc(rec.created_at),
            "started_at": to_utc(rec.started_at),
            "finished_at": to_utc(rec.finished_at),
            "error": rec.error,
        },
    )


def execution_record(row: Any) -> ExecutionRecord:
    """An executions row as a record; ``spec`` and ``params`` are empty when not selected."""
    m = row._mapping
    return ExecutionRecord(
        id=row.id,
        workflow=row.workflow,
        spec=m.get("spec") or {},
        status=RunStatus(row.status),
        params=m.get("params") or {},
        trigger=row.trigger,
        created_at=_utc(row.created_at),
        started_at=to_utc(row.started_at),
        finished_at=to_utc(row.finished_at),
        error=row.error,
    )


def get_execution(conn: Connection, execution_id: str) -> ExecutionRecord | None:
    row = conn.execute(sa.select(executions).where(executions.c.id == execution_id)).first()
    return execution_record(row) if row is not None else None


def list_executions(
    conn: Connection,
    *,
    statuses: Collection[RunStatus] | None = None,
    workflow: str | None = None,
    limit: int | None = None,
) -> list[ExecutionRecord]:
    query = sa.select(executions).order_by(executions.c.pk.desc()).limit(limit)
    if statuses is not None:
        query = query.where(executions.c.status.in_([RunStatus(s).value for s in statuses]))
    if workflow is not None:
        query = query.where(executions.c.workflow == workflow)
    return [execution_record(row) for row in conn.execute(query)]


def update_execution(conn: Connection, rec: ExecutionRecord, expected: RunStatus) -> bool:
    """Compare-and-set; False if the execution is unknown or not in ``expected`` status."""
    stmt = (
        sa.update(executions)
        .where(executions.c.id == rec.id, executions.c.status == expected.value)
        .values(
            status=rec.status.value,
            started_at=to_utc(rec.started_at),
            finished_at=to_utc(rec.finished_at),
            error=rec.error,
        )
    )
    return int(conn.execute(stmt).rowcount) == 1


def execution_status(conn: Connection, execution_id: str) -> RunStatus | None:
    query = sa.select(executions.c.status).where(executions.c.id == execution_id)
    value = conn.execute(query).scalar_one_or_none()
    return RunStatus(value) if value is not None else None


# --- step executions --------------------------------------------------------------------------


def existing_steps(conn: Connection, execution_id: str, step_ids: Collection[str]) -> set[str]:
    query = sa.select(step_executions.c.step_id).where(
        step_executions.c.execution_id == execution_id,
        step_executions.c.step_id.in_(list(step_ids)),
    )
    return set(conn.execute(query).scalars())


def _step_values(rec: StepRecord) -> dict[str, Any]:
    return {
        "status": rec.status.value,
        "tasks_total": rec.tasks_total,
        "tasks_done": rec.tasks_done,
        "tasks_failed": rec.tasks_failed,
        "started_at": to_utc(rec.started_at),
        "finished_at": to_utc(rec.finished_at),
        "reason": rec.reason,
    }


def insert_steps(conn: Connection, records: Sequence[StepRecord]) -> None:
    rows = [
        {"execution_id": r.execution_id, "step_id": r.step_id, **_step_values(r)} for r in records
    ]
    if rows:
        conn.execute(sa.insert(step_executions), rows)


def step_record(row: Any) -> StepRecord:
    return StepRecord(
        execution_id=row.execution_id,
        step_id=row.step_id,
        status=RunStatus(row.status),
        tasks_total=row.tasks_total,
        tasks_done=row.tasks_done,
        tasks_failed=row.tasks_failed,
        started_at=to_utc(row.started_at),
        finished_at=to_utc(row.finished_at),
        reason=row.reason,
    )


def get_steps(conn: Connection, execution_id: str) -> list[StepRecord]:
    query = (
        sa.select(step_executions)
        .where(step_executions.c.execution_id == execution_id)
        .order_by(step_executions.c.pk)
    )
    return [step_record(row) for row in conn.execute(query)]


def _step_where(execution_id: str, step_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        step_executions.c.execution_id == execution_id, step_executions.c.step_id == step_id
    )


def update_step(conn: Connection, rec: StepRecord, expected: RunStatus) -> bool:
    """Compare-and-set; False if the step is unknown or not in ``expected`` status."""
    stmt = (
        sa.update(step_executions)
        .where(_step_where(rec.execution_id, rec.step_id))
        .where(step_executions.c.status == expected.value)
        .values(**_step_values(rec))
    )
    return int(conn.execute(stmt).rowcount) == 1


def step_status(conn: Connection, execution_id: str, step_id: str) -> RunStatus | None:
    query = sa.select(step_executions.c.status).where(_step_where(execution_id, step_id))
    value = conn.execute(query).scalar_one_or_none()
    return RunStatus(value) if value is not None else None


# --- task attempts ----------------------------------------------------------------------------


def insert_attempt(conn: Connection, rec: TaskAttemptRecord) -> bool:
    """False if an attempt with this key exists (the unique key decides, even between servers)."""
    return insert_or_ignore(conn, task_attempts, _attempt_row(rec))


def _attempt_row(rec: TaskAttemptRecord) -> dict[str, Any]:
    return {
        "execution_id": rec.execution_id,
        "step_id": rec.step_id,
        "task_key": rec.task_key,
        "attempt": rec.attempt,
        "status": rec.status.value,
        "source": rec.source,
        "started_at": _utc(rec.started_at),
        "finished_at": to_utc(rec.finished_at),
        "result": jsonable(rec.result),
        "error": rec.error,
        "error_type": rec.error_type,
        "final": rec.final,
    }


def insert_attempts(conn: Connection, records: Sequence[TaskAttemptRecord]) -> None:
    """Insert every attempt in one ``executemany``; a taken key raises ``IntegrityError`` (the
    caller then inserts them one by one with :func:`insert_attempt` to learn which)."""
    # with RETURNING, SQLAlchemy sends the rows as multi-row INSERTs ("insertmanyvalues")
    conn.execute(
        sa.insert(task_attempts).returning(task_attempts.c.pk), [_attempt_row(r) for r in records]
    )


def _key_where(key: TaskKey) -> sa.ColumnElement[bool]:
    return sa.and_(
        task_attempts.c.execution_id == key.execution_id,
        task_attempts.c.step_id == key.step_id,
        task_attempts.c.task_key == key.task_key,
        task_attempts.c.attempt == key.attempt,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a task attempt ended, as ``finish_attempt`` records it."""

    status: RunStatus
    finished_at: datetime
    result: Any = None
    error: str | None = None
    error_type: str | None = None
    final: bool = True


def finish_attempt(conn: Connection, key: TaskKey, outcome: Outcome) -> bool:
    """Record the outcome if the attempt is still running; False if it is not (or unknown)."""
    stmt = (
        sa.update(task_attempts)
        .where(_key_where(key), task_attempts.c.status == RunStatus.RUNNING.value)
        .values(
            status=outcome.status.value,
            finished_at=_utc(outcome.finished_at),
            result=jsonable(outcome.result),
            error=outcome.error,
            error_type=outcome.error_type,
            final=outcome.final,
        )
    )
    return int(conn.execute(stmt).rowcount) == 1


_t = task_attempts.c
_FINISH_MANY = (
    sa.update(task_attempts)
    .where(
        _t.execution_id == sa.bindparam("k_execution_id"),
        _t.step_id == sa.bindparam("k_step_id"),
        _t.task_key == sa.bindparam("k_task_key"),
        _t.attempt == sa.bindparam("k_attempt"),
        _t.status == RunStatus.RUNNING.value,
    )
    .values(
        status=sa.bindparam("v_status", type_=_t.status.type),
        finished_at=sa.bindparam("v_finished_at", type_=_t.finished_at.type),
        result=sa.bindparam("v_result", type_=_t.result.type),
        error=sa.bindparam("v_error", type_=_t.error.type),
        error_type=sa.bindparam("v_error_type", type_=_t.error_type.type),
        final=sa.bindparam("v_final", type_=_t.final.type),
    )
)
_FINISH_COLUMNS = ("execution_id", "step_id", "task_key", "attempt", "status", "finished_at",
                   "result", "error", "error_type", "final")  # fmt: skip


def _finish_from_arrays() -> sa.Update:
    """PostgreSQL: one ``UPDATE ... FROM unnest(arrays)`` for all rows: one statement for the
    server to run (not one per row), of one shape whatever the number of rows (compiled once).
    Each array's items go through their column's type (redaction, JSON, UTC times)."""
    arrays = [sa.bindparam(f"a_{c}", type_=postgresql.ARRAY(_t[c].type)) for c in _FINISH_COLUMNS]
    v = (
        sa.func.unnest(*arrays)
        .table_valued(*[sa.column(c, _t[c].type) for c in _FINISH_COLUMNS], name="v")
        .render_derived()
    )
    return (
        sa.update(task_attempts)
        .where(
            _t.execution_id == v.c.execution_id,
            _t.step_id == v.c.step_id,
            _t.task_key == v.c.task_key,
            _t.attempt == v.c.attempt,
            _t.status == RunStatus.RUNNING.value,
        )
        .values(
            status=v.c.status,
            finished_at=v.c.finished_at,
            result=v.c.result,
            error=v.c.error,
            error_type=v.c.error_type,
            final=v.c.final,
        )
    )


_FINISH_ARRAYS = _finish_from_arrays()


def finish_attempts(conn: Connection, finishes: Sequence[tuple[TaskKey, Outcome]]) -> int:
    """:func:`finish_attempt` for many attempts in one ``executemany``; returns how many rows
    changed (fewer than asked: some attempt was not running, and the caller finds out which)."""
    rows = [
        {
            "execution_id": key.execution_id,
            "step_id": key.step_id,
            "task_key": key.task_key,
            "attempt": key.attempt,
            "status": out.status.value,
            "finished_at": _utc(out.finished_at),
            "result": jsonable(out.result),
            "error": out.error,
            "error_type": out.error_type,
            "final": out.final,
        }
        for key, out in finishes
    ]
    if conn.dialect.name == "postgresql":
        arrays = {f"a_{c}": [row[c] for row in rows] for c in _FINISH_COLUMNS}
        return int(conn.execute(_FINISH_ARRAYS, arrays).rowcount)
    many = [{f"{'k' if i < 4 else 'v'}_{c}": row[c] for i, c in enumerate(_FINISH_COLUMNS)}
            for row in rows]  # fmt: skip
    return int(conn.execute(_FINISH_MANY, many).rowcount)


def attempt_status(conn: Connection, key: TaskKey) -> RunStatus | None:
    value = conn.execute(sa.select(task_attempts.c.status).where(_key_where(key))).scalar()
    return RunStatus(value) if value is not None else None


def list_attempts(
    conn: Connection, execution_id: str, *, step_id: str | None = None
) -> list[TaskAttemptRecord]:
    t = task_attempts.c
    query = (
        sa.select(task_attempts)
        .where(t.execution_id == execution_id)
        .order_by(t.step_id, t.task_key, t.attempt)
    )
    if step_id is not None:
        query = query.where(t.step_id == step_id)
    return [attempt_record(row) for row in conn.execute(query)]


def attempt_record(row: Any) -> TaskAttemptRecord:
    """A task_attempts row as a record; ``result`` is None when not selected."""
    return TaskAttemptRecord(
        execution_id=row.execution_id,
        step_id=row.step_id,
        task_key=row.task_key,
        attempt=row.attempt,
        status=RunStatus(row.status),
        source=row.source,
        started_at=_utc(row.started_at),
        finished_at=to_utc(row.finished_at),
        result=row._mapping.get("result"),
        error=row.error,
        error_type=row.error_type,
        final=bool(row.final),
    )


# --- event log --------------------------------------------------------------------------------


def next_event_seq(conn: Connection, execution_id: str) -> int | None:
    """Hand out the execution's next seq (None if it is unknown). The update row-locks the
    execution until commit, so one execution's seqs are committed in order: a reader paging
    with ``after`` never skips an event committed later under a lower seq."""
    stmt = (
        sa.update(executions)
        .where(executions.c.id == execution_id)
        .values(event_seq=executions.c.event_seq + 1)
        .returning(executions.c.event_seq)
    )
    value = conn.execute(stmt).scalar_one_or_none()
    return int(value) if value is not None else None


def take_event_seqs(conn: Connection, execution_id: str, count: int) -> int | None:
    """Hand out the execution's next ``count`` seqs at once; returns the last of them (None if
    the execution is unknown). Row-locks the execution as :func:`next_event_seq` does."""
    stmt = (
        sa.update(executions)
        .where(executions.c.id == execution_id)
        .values(event_seq=executions.c.event_seq + count)
        .returning(executions.c.event_seq)
    )
    value = conn.execute(stmt).scalar_one_or_none()
    return int(value) if value is not None else None


def _event_row(event: RunEvent, seq: int) -> dict[str, Any]:
    return {
        "execution_id": event.execution_id,
        "seq": seq,
        "kind": event.kind.value,
        "step_id": event.step_id,
        "task_key": event.task_key,
        "status": event.status.value if event.status is not None else None,
        "data": jsonable(event.data),
        "at": _utc(event.at),
    }


_INSERT_EVENT = sa.insert(execution_events)  # built once: values as parameters, not .values()


def insert_event(conn: Connection, event: RunEvent, seq: int) -> None:
    conn.execute(_INSERT_EVENT, _event_row(event, seq))


def insert_events(conn: Connection, events: Sequence[tuple[RunEvent, int]]) -> None:
    """Insert (event, seq) pairs in one ``executemany``."""
    if events:
        conn.execute(sa.insert(execution_events), [_event_row(e, s) for e, s in events])


def list_events(
    conn: Connection, execution_id: str, *, after: int = 0, limit: int | None = None
) -> list[RunEvent]:
    e = execution_events.c
    query = (
        sa.select(execution_events)
        .where(e.execution_id == execution_id, e.seq > after)
        .order_by(e.seq)
        .limit(limit)
    )
    return [
        RunEvent(
            execution_id=row.execution_id,
            kind=EventKind(row.kind),
            step_id=row.step_id,
            task_key=row.task_key,
            status=RunStatus(row.status) if row.status is not None else None,
            data=row.data,
            at=_utc(row.at),
            seq=row.seq,
        )
        for row in conn.execute(query)
    ]
