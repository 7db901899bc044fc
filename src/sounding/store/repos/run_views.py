"""Bounded reads of an execution for its monitor page: a page of task attempts, counts per
status, the latest attempts, the tail of the event log and a page of
executions. Each is one indexed query that never returns every task of a big execution.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.orchestration import ExecutionRecord, RunEvent, RunStatus, TaskAttemptRecord
from sounding.store.repos.orchestration import attempt_record, execution_record, list_events
from sounding.store.tables_orchestration import execution_events, executions, task_attempts

logger = logging.getLogger(__name__)

# the timeline's window needs no results (they may be large): every column but ``result``
_ATTEMPT_COLUMNS = [c for c in task_attempts.c if c.name != "result"]


def page_attempts(
    conn: Connection,
    execution_id: str,
    *,
    statuses: Collection[str],
    step_id: str | None,
    limit: int,
    offset: int,
    with_results: bool = True,
) -> list[TaskAttemptRecord]:
    """Attempts with one of ``statuses`` newest first (the order they started in, reversed).

    The page's row ids come from an index alone, then only those rows are read. Without a
    step, each status is a range of the ``(execution_id, status)`` index already in row-id
    order, and the database merges the ranges (no sort): page 150 of 10,000 attempts reads
    7,500 index entries and 50 rows, page 1 reads 50 of each."""
    t = task_attempts.c
    if step_id is None:
        ranges = [
            sa.select(t.pk).where(t.execution_id == execution_id, t.status == status)
            for status in statuses
        ]
        if not ranges:
            return []
        if len(ranges) == 1:
            query: Any = ranges[0].order_by(t.pk.desc())
        else:  # SQLite merges the ranges (MERGE (UNION ALL)); PostgreSQL a Merge Append
            query = sa.union_all(*ranges).order_by(sa.desc("pk"))
        ids = list(conn.execute(query.limit(limit).offset(offset)).scalars())
    else:
        ids = list(
            conn.execute(
                sa.select(t.pk)
                .where(t.execution_id == execution_id, t.step_id == step_id)
                .where(t.status.in_(list(statuses)))
                .order_by(t.pk.desc())
                .limit(limit)
                .offset(offset)
            ).scalars()
        )
    if not ids:
        return []
    columns = list(task_attempts.c) if with_results else _ATTEMPT_COLUMNS
    query = sa.select(*columns).where(t.pk.in_(ids)).order_by(t.pk.desc())
    return [attempt_record(row) for row in conn.execute(query)]


def count_attempts(conn: Connection, execution_id: str, step_id: str | None) -> dict[str, int]:
    """How many attempts per status (of one step, or of all)."""
    t = task_attempts.c
    query = (
        sa.select(t.status, sa.func.count())
        .where(t.execution_id == execution_id)
        .where(sa.true() if step_id is None else t.step_id == step_id)
        .group_by(t.status)
    )
    return {str(status): int(n) for status, n in conn.execute(query)}


def latest_attempts(conn: Connection, execution_id: str, limit: int) -> list[TaskAttemptRecord]:
    statuses = count_attempts(conn, execution_id, None)
    return page_attempts(
        conn,
        execution_id,
        statuses=statuses,
        step_id=None,
        limit=limit,
        offset=0,
        with_results=False,  # the timeline shows no results
    )


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
