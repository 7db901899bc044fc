"""The audit log: one row per mutation, written in the mutation's own transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.paging import Key, SortOrder
from sounding.store.paging import seek
from sounding.store.repos import utcnow
from sounding.store.tables import audit_log


def record(
    conn: Connection,
    actor: str,
    action: str,
    target_type: str | None,
    target: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        sa.insert(audit_log).values(
            at=utcnow(),
            actor=actor,
            action=action,
            target_type=target_type,
            target=target,
            details=details or {},
        )
    )


AUDIT_ORDER = SortOrder(("id",), descending=True)


def list_entries(
    conn: Connection,
    limit: int,
    offset: int,
    actor: str | None = None,
    action: str | None = None,
    after: Key | None = None,
) -> tuple[list[dict[str, Any]], int]:
    query = sa.select(audit_log)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        query = query.where(audit_log.c.action == action)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(seek(query, AUDIT_ORDER, [audit_log.c.id], limit, offset, after))
    return [dict(r) for r in rows.mappings()], int(total)
