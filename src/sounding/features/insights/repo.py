"""Execution history for insights (read in bulk, without specs or results), and applied
recommendations (``insight_actions``)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.insights import RecommendationAction
from sounding.domain.orchestration import (
    ExecutionRecord,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
)
from sounding.features.insights.tables import insight_actions
from sounding.store.repos import utcnow
from sounding.store.repos.orchestration import (
    attempt_record,
    execution_record,
    step_record,
    to_utc,
)
from sounding.store.tables_orchestration import executions, step_executions, task_attempts

logger = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list


def executions_since(
    conn: Connection,
    since: datetime | None,
    *,
    workflow: str | None = None,
    statuses: Collection[RunStatus] | None = None,
    limit: int = 5000,
) -> list[ExecutionRecord]:
    """Executions created at or after ``since``, newest first; ``spec`` left empty."""
    query = sa.select(
        executions.c.id, executions.c.workflow, executions.c.status, executions.c.trigger,
        executions.c.created_at, executions.c.started_at, executions.c.finished_at,
        executions.c.error,
    )  # fmt: skip
    if since is not None:
        query = query.where(executions.c.created_at >= to_utc(since))
    if workflow is not None:
        query = query.where(executions.c.workflow == workflow)
    if statuses is not None:
        query = query.where(executions.c.status.in_([s.value for s in statuses]))
    rows = conn.execute(query.order_by(executions.c.pk.desc()).limit(limit))
    return [execution_record(r) for r in rows]


def execution_specs(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The workflow document each execution started with."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = sa.select(executions.c.id, executions.c.spec).where(executions.c.id.in_(chunk))
        out.update({r.id: r.spec for r in conn.execute(query)})
    return out


def steps_of(conn: Connection, ids: Sequence[str]) -> list[StepRecord]:
    out = []
    for chunk in _chunks(ids):
        query = (
            sa.select(step_executions)
            .where(step_executions.c.execution_id.in_(chunk))
            .order_by(step_executions.c.pk)
        )
        out += [step_record(r) for r in conn.execute(query)]
    return out


def attempts_of(conn: Connection, ids: Sequence[str]) -> list[TaskAttemptRecord]:
    """Task attempts of the executions, without their results."""
    cols = [c for c in task_attempts.c if c.name not in ("pk", "result")]
    out = []
    for chunk in _chunks(ids):
        query = (
            sa.select(*cols)
            .where(task_attempts.c.execution_id.in_(chunk))
            .order_by(task_attempts.c.pk)
        )
        out += [attempt_record(r) for r in conn.execute(query)]
    return out


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    items = list(ids)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


# --- applied recommendations --------------------------------------------------------------


def _action(row: Any) -> RecommendationAction:
    values = dict(row._mapping)
    for key in ("applied_at", "rolled_back_at"):
        values[key] = to_utc(values[key])
    return RecommendationAction(**values)


def insert_action(conn: Connection, values: dict[str, Any]) -> RecommendationAction:
    stmt = sa.insert(insight_actions).values(**values, status="applied", applied_at=utcnow())
    action_id = conn.execute(stmt.returning(insight_actions.c.id)).scalar_one()
    found = get_action(conn, int(action_id))
    assert found is not None
    return found


def get_action(conn: Connection, action_id: int) -> RecommendationAction | None:
    row = conn.execute(sa.select(insight_actions).where(insight_actions.c.id == action_id)).first()
    return _action(row) if row is not None else None


def latest_applied(conn: Connection, recommendation_id: str) -> RecommendationAction | None:
    """The newest action of a recommendation that is still applied."""
    query = (
        sa.select(insight_actions)
        .where(
            insight_actions.c.recommendation_id == recommendation_id,
            insight_actions.c.status == "applied",
        )
        .order_by(insight_actions.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return _action(row) if row is not None else None


def mark_rolled_back(
    conn: Connection, action_id: int, actor: str, version: int | None
) -> RecommendationAction | None:
    """Compare-and-set from ``applied``; None if someone rolled it back first."""
    result = conn.execute(
        sa.update(insight_actions)
        .where(insight_actions.c.id == action_id, insight_actions.c.status == "applied")
        .values(
            status="rolled_back",
            rolled_back_at=utcnow(),
            rolled_back_by=actor,
            rolled_back_version=version,
        )
    )
    if int(result.rowcount) != 1:
        return None
    return get_action(conn, action_id)


def list_actions(
    conn: Connection, *, workflow: str | None = None, limit: int = 100
) -> list[RecommendationAction]:
    """Applied recommendations, newest first."""
    query = sa.select(insight_actions)
    if workflow is not None:
        query = query.where(insight_actions.c.workflow == workflow)
    rows = conn.execute(query.order_by(insight_actions.c.id.desc()).limit(limit))
    return [_action(r) for r in rows]
