"""Scan runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.paging import Key, SortOrder
from sounding.store.paging import seek
from sounding.store.repos import update_by_id, utcnow
from sounding.store.tables import assets, discovery_events, scan_runs, sources
from sounding.store.tables_orchestration import executions


def insert(
    conn: Connection,
    source_id: int,
    kind: str,
    status: str,
    triggered_by: str,
    execution_id: str | None = None,
) -> int:
    result = conn.execute(
        sa.insert(scan_runs)
        .values(
            source_id=source_id,
            execution_id=execution_id,
            kind=kind,
            status=status,
            triggered_by=triggered_by,
            created_at=utcnow(),
            objects_total=0,
            objects_done=0,
            report={},
        )
        .returning(scan_runs.c.id)
    )
    return int(result.scalar_one())


def update(conn: Connection, scan_id: int, values: dict[str, Any]) -> None:
    update_by_id(conn, scan_runs, scan_id, values)


def _select() -> sa.Select[Any]:
    """Scan runs with their source's name and, for a scan run by an execution, the
    execution's workflow, status and error (``execution_*``)."""
    return (
        sa.select(
            scan_runs,
            sources.c.name.label("source"),
            executions.c.workflow.label("execution_workflow"),
            executions.c.status.label("execution_status"),
            executions.c.error.label("execution_error"),
            executions.c.finished_at.label("execution_finished_at"),
        )
        .join(sources, sources.c.id == scan_runs.c.source_id)
        .outerjoin(executions, executions.c.id == scan_runs.c.execution_id)
    )


def get(conn: Connection, scan_id: int) -> dict[str, Any] | None:
    row = conn.execute(_select().where(scan_runs.c.id == scan_id)).mappings().first()
    return dict(row) if row else None


def by_execution(conn: Connection, execution_id: str, source: str) -> dict[str, Any] | None:
    """The scan run of ``source`` an execution runs, if it has one."""
    query = _select().where(scan_runs.c.execution_id == execution_id, sources.c.name == source)
    row = conn.execute(query.order_by(scan_runs.c.id)).mappings().first()
    return dict(row) if row else None


SCAN_ORDER = SortOrder(("id",), descending=True)


def list_runs(
    conn: Connection,
    limit: int,
    offset: int,
    source_id: int | None = None,
    after: Key | None = None,
) -> tuple[list[dict[str, Any]], int]:
    query = _select()
    if source_id is not None:
        query = query.where(scan_runs.c.source_id == source_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(seek(query, SCAN_ORDER, [scan_runs.c.id], limit, offset, after))
    return [dict(r) for r in rows.mappings()], int(total)


def mark_interrupted(conn: Connection) -> int:
    """Runs left 'running' by a crashed process are failed on start-up."""
    result = conn.execute(
        sa.update(scan_runs)
        .where(scan_runs.c.status.in_(("pending", "running")))
        .values(status="failed", finished_at=utcnow(), error="Interrupted: the server stopped")
    )
    return int(result.rowcount)


def latest_by_source(conn: Connection, source_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest scan run of each given source (as :func:`get` reads it)."""
    if not source_ids:
        return {}
    newest = (
        sa.select(sa.func.max(scan_runs.c.id))
        .where(scan_runs.c.source_id.in_(source_ids))
        .group_by(scan_runs.c.source_id)
    )
    rows = conn.execute(_select().where(scan_runs.c.id.in_(newest))).mappings()
    return {int(r["source_id"]): dict(r) for r in rows}


def changed_assets(
    conn: Connection, scan_id: int, limit: int, offset: int, event_type: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The discovery events of one scan with the asset each names (type, qualified name,
    whether it is deleted now), in order."""
    query = (
        sa.select(
            discovery_events.c.id,
            discovery_events.c.event_type,
            discovery_events.c.diff,
            assets.c.id.label("asset_id"),
            assets.c.type,
            assets.c.qualified_name,
            assets.c.deleted_at,
        )
        .join(assets, assets.c.id == discovery_events.c.asset_id)
        .where(discovery_events.c.scan_run_id == scan_id)
    )
    if event_type:
        query = query.where(discovery_events.c.event_type == event_type)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(discovery_events.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)
