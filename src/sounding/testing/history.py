"""Execution history written straight into a store, fast: for retention's tests and benchmark.

``fill_history`` inserts executions of one step with ``tasks`` finished task attempts and one
event per task each (plus the execution's own start and end events), in bulk ``executemany``
statements, with the times given: the engine would take hours to make a million attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sounding.store.tables_orchestration import (
    execution_events,
    executions,
    step_executions,
    task_attempts,
)

CHUNK = 5000  # rows per executemany


@dataclass(frozen=True, slots=True)
class HistoryBatch:
    """``count`` executions of ``workflow``, the first finishing at ``start`` and each next
    one ``spacing`` later, in ``status`` (``running`` ones have no end)."""

    prefix: str
    count: int
    tasks: int
    start: datetime
    spacing: timedelta = timedelta(minutes=1)
    status: str = "completed"
    workflow: str = "history"


def _spec(workflow: str) -> dict[str, Any]:
    return {"name": workflow, "steps": [{"id": "work", "type": "custom"}]}


def _rows(batch: HistoryBatch) -> tuple[list[dict[str, Any]], ...]:
    done = batch.status != "running"
    task_status = "completed" if done else "running"
    runs: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(batch.count):
        ex = f"{batch.prefix}{i:07d}"
        end = batch.start + batch.spacing * i
        begin = end - timedelta(seconds=30)
        runs.append(
            {
                "id": ex,
                "workflow": batch.workflow,
                "spec": _spec(batch.workflow),
                "status": batch.status,
                "params": {},
                "trigger": "manual",
                "created_at": begin,
                "started_at": begin,
                "finished_at": end if done else None,
                "event_seq": batch.tasks + 2,
            }
        )
        steps.append(
            {
                "execution_id": ex,
                "step_id": "work",
                "status": task_status,
                "tasks_total": batch.tasks,
                "tasks_done": batch.tasks if done else 0,
                "tasks_failed": 0,
                "started_at": begin,
                "finished_at": end if done else None,
            }
        )
        events.append(_event(ex, 1, "execution_status", None, "running", begin))
        for t in range(batch.tasks):
            key = f"object_{t}"
            attempts.append(
                {
                    "execution_id": ex,
                    "step_id": "work",
                    "task_key": key,
                    "attempt": 1,
                    "status": task_status,
                    "source": None,
                    "started_at": begin,
                    "finished_at": end if done else None,
                    "result": {"rows": t} if done else None,
                    "final": done,
                }
            )
            events.append(_event(ex, t + 2, "task_status", key, task_status, end))
        events.append(_event(ex, batch.tasks + 2, "execution_status", None, batch.status, end))
    return runs, steps, attempts, events


def _event(
    ex: str, seq: int, kind: str, key: str | None, status: str, at: datetime
) -> dict[str, Any]:
    return {
        "execution_id": ex,
        "seq": seq,
        "kind": kind,
        "step_id": "work" if key else None,
        "task_key": key,
        "status": status,
        "data": {},
        "at": at,
    }


def fill_history(engine: Engine, batches: Sequence[HistoryBatch]) -> int:
    """Insert every batch's executions; returns the task attempts written."""
    written = 0
    for batch in batches:
        # a few hundred executions at a time, so memory stays flat at a million attempts
        per = max(1, CHUNK // max(1, batch.tasks))
        for first in range(0, batch.count, per):
            part = HistoryBatch(
                f"{batch.prefix}{first // per:05d}-",
                min(per, batch.count - first),
                batch.tasks,
                batch.start + batch.spacing * first,
                batch.spacing,
                batch.status,
                batch.workflow,
            )
            runs, steps, attempts, events = _rows(part)
            with engine.begin() as conn:
                for table, rows in (
                    (executions, runs),
                    (step_executions, steps),
                    (task_attempts, attempts),
                    (execution_events, events),
                ):
                    for at in range(0, len(rows), CHUNK):
                        conn.execute(sa.insert(table), rows[at : at + CHUNK])
            written += len(attempts)
    return written
