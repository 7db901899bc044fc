"""Bounded reads of an execution for its monitor page: a page of task attempts, counts per
status, the latest attempts, the tail of the event log and a page of
executions. Each is one indexed query that never returns every task of a big execution.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.orchestration import ExecutionRecord, RunEvent, RunStatus, TaskAttemptRecord
from sounding.store.repos.orchestration import attempt_record, execution_record, list_events
from sounding.store.tables_orchestration import execution_events, executions, task_attempts

logger = logging.getLogger(__name__)

# the task table never shows results (they may be large): every column but ``result``
_ATTEMPT_COLUMNS = [c for c in task_attempts.c if c.name != "result"]


def _attempts_where(
    execution_id: str, status: str | None, step_id: str | None
) -> sa.ColumnElement[bool]:
    t = task_attempts.c
    where = t.execution_id == execution_id
    if status is not None:
        where = sa.and_(where, t.status == status)
    if step_id is not None:
        where = sa.and_(where, t.step_id == step_id)
    return where


def page_attempts(
    conn: Connection,
    execution_id: str,
    *,
    status: str | None,
    step_id: str | None,
    limit: int,
    offset: int,
) -> list[TaskAttemptRecord]:
    """Attempts newest first (the order they started in, reversed). The page's row ids come
    from an index alone (``(execution_id, status)`` or the unique key, each holding the row
    id), then only those rows are read: a deep page never reads the rows before it."""
    t = task_attempts.c
    ids = list(
        conn.execute(
            sa.select(t.pk)
            .where(_attempts_where(execution_id, status, step_id))
            .order_by(t.pk.desc())
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    if not ids:
        return []
    query = sa.select(*_ATTEMPT_COLUMNS).where(t.pk.in_(ids)).order_by(t.pk.desc())
    return [attempt_record(row) for row in conn.execute(query)]


def count_attempts(conn: Connection, execution_id: str, step_id: str | None) -> dict[str, int]:
    """How many attempts per status (of one step, or of all)."""
    t = task_attempts.c
    query = (
        sa.select(t.status, sa.func.count())
        .where(_attempts_where(execution_id, None, step_id))
        .group_by(t.status)
    )
    return {str(status): int(n) for status, n in conn.execute(query)}


def latest_attempts(conn: Connection, execution_id: str, limit: int) -> list[TaskAttemptRecord]:
    return page_attempts(conn, execution_id, status=None, step_id=None, limit=limit, offset=0)


def tail_events(conn: Connection, execution_id: str, limit: int) -> list[RunEvent]:
    """The last ``limit`` stored events, oldest first."""
    e = execution_events.c
    last = conn.execute(
        sa.select(sa.func.max(e.seq)).where(e.execution_id == execution_id)
    ).scalar_one_or_none()
    after = max(0, int(last or 0) - limit)
    return list_events(conn, execution_id, after=after, limit=limit)


def page_executions(
    conn: Connection,
    *,
    statuses: Collection[RunStatus] | None,
    workflow: str | None,
    limit: int,
    offset: int,
) -> list[ExecutionRecord]:
    """Executions newest first, without their workflow documents (lists do not show them)."""
    x = executions.c
    columns = [c for c in executions.c if c.name not in ("spec", "params")]
    query = sa.select(*columns).order_by(x.pk.desc()).limit(limit).offset(offset)
    if statuses is not None:
        query = query.where(x.status.in_([RunStatus(s).value for s in statuses]))
    if workflow is not None:
        query = query.where(x.workflow == workflow)
    return [execution_record(row) for row in conn.execute(query)]
