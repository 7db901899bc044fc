"""The queries retention runs: which rows are past a cutoff, in bounded batches of keys.

Every ``take_*`` picks at most ``limit`` keys and deletes exactly those rows, inside the
caller's (short) write transaction, and returns how many went; every ``count_*`` counts what
the matching ``take_*`` calls would delete, for a dry run. Only finished executions are ever
touched: the status is checked in the same statement that picks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.orchestration import FINISHED
from sounding.store.tables import scan_runs
from sounding.store.tables_orchestration import (
    execution_events,
    executions,
    schedule_ticks,
    step_executions,
    task_attempts,
)

FINISHED_STATUSES = tuple(sorted(s.value for s in FINISHED))
# the tables under an execution that its history grows in (its steps and lease are few)
HISTORY_TABLES: tuple[sa.Table, ...] = (task_attempts, execution_events)


def finished_before(cutoff: datetime) -> sa.Select[Any]:
    """Ids of the executions that finished before ``cutoff``."""
    return sa.select(executions.c.id).where(
        executions.c.status.in_(FINISHED_STATUSES), executions.c.finished_at < cutoff
    )


def count_history(conn: Connection, table: sa.Table, cutoff: datetime) -> int:
    query = sa.select(sa.func.count()).where(table.c.execution_id.in_(finished_before(cutoff)))
    return int(conn.execute(query).scalar_one())


def finished_chunk(
    conn: Connection, cutoff: datetime, after: int, limit: int
) -> tuple[list[str], int]:
    """Up to ``limit`` ids of executions that finished before ``cutoff``, in insertion order
    after the one of ``pk`` ``after``; and the last one's ``pk`` (to go on from)."""
    rows = conn.execute(
        sa.select(executions.c.pk, executions.c.id)
        .where(
            executions.c.pk > after,
            executions.c.status.in_(FINISHED_STATUSES),
            executions.c.finished_at < cutoff,
        )
        .order_by(executions.c.pk)
        .limit(limit)
    ).all()
    return [r.id for r in rows], (int(rows[-1].pk) if rows else after)


def take_history(conn: Connection, table: sa.Table, ids: Sequence[str], limit: int) -> int:
    """Delete up to ``limit`` rows of ``table`` (attempts or events) of the executions
    ``ids`` (an index on ``execution_id`` finds them), if they are still finished."""
    keys = (
        conn.execute(
            sa.select(table.c.pk)
            .join(executions, executions.c.id == table.c.execution_id)
            .where(table.c.execution_id.in_(ids), executions.c.status.in_(FINISHED_STATUSES))
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if not keys:
        return 0
    return int(conn.execute(sa.delete(table).where(table.c.pk.in_(keys))).rowcount)


def count_executions(conn: Connection, cutoff: datetime) -> tuple[int, int]:
    """(executions, their steps) that finished before ``cutoff``."""
    old = finished_before(cutoff)
    found = conn.execute(sa.select(sa.func.count()).select_from(old.subquery())).scalar_one()
    steps = conn.execute(
        sa.select(sa.func.count()).where(step_executions.c.execution_id.in_(old))
    ).scalar_one()
    return int(found), int(steps)


def take_executions(conn: Connection, cutoff: datetime, limit: int) -> tuple[int, int]:
    """Delete up to ``limit`` executions that finished before ``cutoff`` (their steps, lease
    and any attempts or events left go with them: ``ON DELETE CASCADE``); the scan runs they
    ran keep their record with ``execution_id`` set to NULL. Returns (executions, steps)."""
    ids = conn.execute(finished_before(cutoff).order_by(executions.c.pk).limit(limit))
    keys = list(ids.scalars().all())
    if not keys:
        return 0, 0
    steps = conn.execute(
        sa.select(sa.func.count()).where(step_executions.c.execution_id.in_(keys))
    ).scalar_one()
    conn.execute(
        sa.update(scan_runs).where(scan_runs.c.execution_id.in_(keys)).values(execution_id=None)
    )
    for table in (*HISTORY_TABLES, step_executions):  # explicit: no cascade work hidden
        conn.execute(sa.delete(table).where(table.c.execution_id.in_(keys)))
    gone = conn.execute(
        sa.delete(executions).where(
            executions.c.id.in_(keys), executions.c.status.in_(FINISHED_STATUSES)
        )
    ).rowcount
    return int(gone), int(steps)


def _older(table: sa.Table, at: str, cutoff: datetime) -> sa.ColumnElement[bool]:
    column = table.c[at]
    if isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime):
        return column < cutoff.date()
    return column < cutoff


def count_older(conn: Connection, table: sa.Table, where: Sequence[sa.ColumnElement[bool]]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(*where)
    return int(conn.execute(query).scalar_one())


def older_than(
    table: sa.Table, at: str, cutoff: datetime, only: sa.ColumnElement[bool] | None
) -> list[sa.ColumnElement[bool]]:
    """The conditions of ``table``'s rows past ``cutoff`` (and matching ``only``)."""
    where = [_older(table, at, cutoff)]
    if only is not None:
        where.append(only)
    return where


def take_older(
    conn: Connection, table: sa.Table, where: Sequence[sa.ColumnElement[bool]], limit: int
) -> int:
    """Delete up to ``limit`` rows of ``table`` matching ``where``, picked by primary key."""
    key = list(table.primary_key.columns)
    rows = conn.execute(sa.select(*key).where(*where).limit(limit)).all()
    if not rows:
        return 0
    if len(key) == 1:
        match = key[0].in_([r[0] for r in rows])
    else:
        match = sa.tuple_(*key).in_([tuple(r) for r in rows])
    return int(conn.execute(sa.delete(table).where(match)).rowcount)


def sqlite_pages(conn: Connection) -> tuple[int, int]:
    """(store bytes, free bytes) of a SQLite store."""
    size = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
    pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    free = int(conn.exec_driver_sql("PRAGMA freelist_count").scalar_one())
    return pages * size, free * size


def not_latest_tick() -> sa.ColumnElement[bool]:
    """A schedule tick with a later one of the same workflow: the scheduler reads each
    workflow's latest tick, so that one always stays."""
    later = schedule_ticks.alias("later")
    return sa.exists().where(
        later.c.workflow == schedule_ticks.c.workflow, later.c.tick_at > schedule_ticks.c.tick_at
    )
