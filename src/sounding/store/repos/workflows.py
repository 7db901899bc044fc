"""Workflow definitions with their version history, and claimed schedule ticks.

A definition is a workflow document stored under its unique name. Every change of its spec
is a new version (1, 2, ...) kept in ``workflow_versions``; putting the same spec again records
nothing. ``claim_tick`` makes a schedule fire once per tick even with several servers on one
PostgreSQL: only the first claimer of ``(workflow, tick_at)`` gets True and starts the run.
Rows come back as dicts with aware UTC times.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.errors import StoreError
from sounding.store.repos import utcnow
from sounding.store.repos.orchestration import insert_or_ignore, to_utc
from sounding.store.tables_orchestration import schedule_ticks, workflow_versions, workflows

_TIMES = ("created_at", "updated_at")


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for name in _TIMES:
        if name in out:
            out[name] = to_utc(out[name])
    return out


def _plain(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as it reads back from JSON (tuples are lists, keys are strings)."""
    plain: dict[str, Any] = json.loads(json.dumps(spec))
    return plain


# --- definitions ------------------------------------------------------------------------------


def get(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(workflows).where(workflows.c.name == name)).first()
    return _row(row) if row is not None else None


def _get_for_update(conn: Connection, name: str) -> dict[str, Any] | None:
    query = sa.select(workflows).where(workflows.c.name == name).with_for_update()
    row = conn.execute(query).first()
    return _row(row) if row is not None else None


def list_workflows(conn: Connection, *, enabled: bool | None = None) -> list[dict[str, Any]]:
    query = sa.select(workflows).order_by(workflows.c.name)
    if enabled is not None:
        query = query.where(workflows.c.enabled == enabled)
    return [_row(r) for r in conn.execute(query)]


def put(
    conn: Connection,
    name: str,
    spec: dict[str, Any],
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], bool]:
    """Create the definition or give it a new spec. Returns the stored row and whether a new
    version was recorded (False when the spec is the one stored already)."""
    now = to_utc(now) or utcnow()
    spec = _plain(spec)
    current = _get_for_update(conn, name)  # row-locked: concurrent puts bump one at a time
    if current is None:
        created = _create(conn, name, spec, actor, now)
        current = _get_for_update(conn, name)  # if another writer created it: change theirs
        if current is None:
            raise StoreError(f"Workflow '{name}' vanished while it was being stored", name=name)
        if created:
            _add_version(conn, current["id"], 1, spec, actor, now)
            return current, True
    if current["spec"] == spec:
        return current, False
    version = current["version"] + 1
    changes = {"spec": spec, "version": version, "updated_at": now, "updated_by": actor}
    conn.execute(sa.update(workflows).where(workflows.c.id == current["id"]).values(**changes))
    _add_version(conn, current["id"], version, spec, actor, now)
    return {**current, **changes}, True


def _create(
    conn: Connection, name: str, spec: dict[str, Any], actor: str | None, now: datetime
) -> bool:
    values = {"name": name, "spec": spec, "version": 1, "enabled": True}
    stamps = {"created_at": now, "updated_at": now, "created_by": actor, "updated_by": actor}
    return insert_or_ignore(conn, workflows, {**values, **stamps})


def _add_version(
    conn: Connection,
    workflow_id: int,
    version: int,
    spec: dict[str, Any],
    actor: str | None,
    now: datetime,
) -> None:
    conn.execute(
        sa.insert(workflow_versions).values(
            workflow_id=workflow_id, version=version, spec=spec, created_at=now, created_by=actor
        )
    )


def set_enabled(
    conn: Connection,
    name: str,
    enabled: bool,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> bool:
    """False if there is no such workflow."""
    stmt = (
        sa.update(workflows)
        .where(workflows.c.name == name)
        .values(enabled=enabled, updated_at=to_utc(now) or utcnow(), updated_by=actor)
    )
    return int(conn.execute(stmt).rowcount) == 1


def delete(conn: Connection, name: str) -> bool:
    """Delete the definition, its history and its claimed ticks; False if there was none.
    Its executions stay (they keep the spec they ran with)."""
    conn.execute(sa.delete(schedule_ticks).where(schedule_ticks.c.workflow == name))
    return int(conn.execute(sa.delete(workflows).where(workflows.c.name == name)).rowcount) == 1


# --- history ----------------------------------------------------------------------------------


def _versions_query(name: str) -> sa.Select[Any]:
    return (
        sa.select(
            workflow_versions.c.version,
            workflow_versions.c.spec,
            workflow_versions.c.created_at,
            workflow_versions.c.created_by,
        )
        .join(workflows, workflows.c.id == workflow_versions.c.workflow_id)
        .where(workflows.c.name == name)
    )


def versions(conn: Connection, name: str) -> list[dict[str, Any]]:
    """The workflow's specs, newest version first (empty if unknown)."""
    query = _versions_query(name).order_by(workflow_versions.c.version.desc())
    return [_row(r) for r in conn.execute(query)]


def get_version(conn: Connection, name: str, version: int) -> dict[str, Any] | None:
    query = _versions_query(name).where(workflow_versions.c.version == version)
    row = conn.execute(query).first()
    return _row(row) if row is not None else None


# --- schedule ticks ---------------------------------------------------------------------------


def claim_tick(
    conn: Connection,
    workflow: str,
    tick_at: datetime,
    *,
    claimed_by: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Claim the tick; True only for the first claimer ever (across servers and threads).

    The primary key on ``(workflow, tick_at)`` decides: a second insert does nothing, and on
    PostgreSQL a concurrent one waits for the first to commit (or roll back, and then wins).
    Commit promptly after a True: the claim is only visible to others once committed.
    """
    return insert_or_ignore(
        conn,
        schedule_ticks,
        {
            "workflow": workflow,
            "tick_at": to_utc(tick_at),
            "claimed_at": to_utc(now) or utcnow(),
            "claimed_by": claimed_by,
        },
    )


def set_tick_execution(
    conn: Connection, workflow: str, tick_at: datetime, execution_id: str
) -> None:
    """Note which execution a claimed tick started."""
    conn.execute(
        sa.update(schedule_ticks)
        .where(schedule_ticks.c.workflow == workflow, schedule_ticks.c.tick_at == to_utc(tick_at))
        .values(execution_id=execution_id)
    )


def last_tick(conn: Connection, workflow: str) -> datetime | None:
    """The latest claimed tick of the workflow: where a restarted scheduler carries on."""
    query = sa.select(sa.func.max(schedule_ticks.c.tick_at)).where(
        schedule_ticks.c.workflow == workflow
    )
    return to_utc(conn.execute(query).scalar())


def ticks(conn: Connection, workflow: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """Claimed ticks, newest first."""
    query = (
        sa.select(schedule_ticks)
        .where(schedule_ticks.c.workflow == workflow)
        .order_by(schedule_ticks.c.tick_at.desc())
        .limit(limit)
    )
    rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["tick_at"], row["claimed_at"] = to_utc(row["tick_at"]), to_utc(row["claimed_at"])
    return rows


def prune_ticks(conn: Connection, before: datetime) -> int:
    """Forget ticks older than ``before``; returns how many."""
    stmt = sa.delete(schedule_ticks).where(schedule_ticks.c.tick_at < to_utc(before))
    return int(conn.execute(stmt).rowcount)
