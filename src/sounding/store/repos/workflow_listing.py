"""Reads for the workflow pages: a page of definitions, each one's last execution, a
workflow's execution history, and the template a workflow was made from.

Lists select the columns they show (an execution's spec can be large and is not read); the
last execution of a page of workflows is one query over the ``(workflow, pk)`` index.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.repos.orchestration import to_utc
from sounding.store.tables import audit_log
from sounding.store.tables_orchestration import executions, workflows

TEMPLATE_ACTION = "template.instantiate"
_EXECUTION_COLUMNS = (
    executions.c.id,
    executions.c.workflow,
    executions.c.status,
    executions.c.trigger,
    executions.c.created_at,
    executions.c.started_at,
    executions.c.finished_at,
    executions.c.error,
)


def _execution(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for name in ("created_at", "started_at", "finished_at"):
        out[name] = to_utc(out[name])
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page(
    conn: Connection, *, query: str, limit: int, offset: int, include_adhoc: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """Workflows by name (``query``: a part of the name), one page, and how many match."""
    where = []
    if not include_adhoc:
        where.append(sa.not_(workflows.c.name.like("scan:%")))
    if query:
        where.append(workflows.c.name.ilike(f"%{_escape_like(query)}%", escape="\\"))
    total = conn.execute(
        sa.select(sa.func.count()).select_from(workflows).where(*where)
    ).scalar_one()
    rows = conn.execute(
        sa.select(
            workflows.c.name,
            workflows.c.version,
            workflows.c.enabled,
            workflows.c.spec,
            workflows.c.updated_at,
        )
        .where(*where)
        .order_by(workflows.c.name)
        .limit(limit)
        .offset(offset)
    )
    out = []
    for row in rows:
        item = dict(row._mapping)
        item["updated_at"] = to_utc(item["updated_at"])
        out.append(item)
    return out, int(total)


def last_executions(conn: Connection, names: Collection[str]) -> dict[str, dict[str, Any]]:
    """The newest execution of each named workflow that has one."""
    if not names:
        return {}
    newest = (
        sa.select(sa.func.max(executions.c.pk))
        .where(executions.c.workflow.in_(list(names)))
        .group_by(executions.c.workflow)
    )
    rows = conn.execute(sa.select(*_EXECUTION_COLUMNS).where(executions.c.pk.in_(newest)))
    return {r.workflow: _execution(r) for r in rows}


def history(conn: Connection, workflow: str, limit: int) -> list[dict[str, Any]]:
    """A workflow's executions, newest first."""
    query = (
        sa.select(*_EXECUTION_COLUMNS)
        .where(executions.c.workflow == workflow)
        .order_by(executions.c.pk.desc())
        .limit(limit)
    )
    return [_execution(r) for r in conn.execute(query)]


def template_origin(conn: Connection, workflow: str) -> dict[str, Any] | None:
    """The details of the newest instantiation of a template into ``workflow``."""
    row = conn.execute(
        sa.select(audit_log.c.details)
        .where(
            audit_log.c.action == TEMPLATE_ACTION,
            audit_log.c.target_type == "workflow",
            audit_log.c.target == workflow,
        )
        .order_by(audit_log.c.id.desc())
        .limit(1)
    ).first()
    return dict(row.details) if row is not None and isinstance(row.details, dict) else None
