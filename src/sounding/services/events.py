"""Publishing catalog events, in the transaction of the change that causes them.

The core and the features call :func:`publish`; nothing here knows who listens. The alerts
feature reads the outbox in id order (:func:`read_after`) past a cursor of its own, so an
event published by a transaction that rolls back is never seen, and one that commits is seen
once the reader gets to it, even after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.events import CatalogEvent, EventKind
from sounding.store.repos import events as repo
from sounding.store.repos import utcnow

logger = logging.getLogger(__name__)

TITLE_MAX = 500


def publish(
    conn: Connection,
    kind: EventKind,
    title: str,
    *,
    asset_id: int | None = None,
    source: str | None = None,
    workflow: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """Record an event of ``kind`` on ``conn`` (the caller's transaction); returns its id.

    An event on an asset names its source, table and domain too (read from the asset), so
    a subscription to any of them matches it."""
    row: dict[str, Any] = {
        "kind": kind.value,
        "title": title[:TITLE_MAX],
        "created_at": utcnow(),
        "source": source,
        "workflow": workflow,
        "payload": dict(payload or {}),
    }
    if asset_id is not None:
        found = repo.asset_context(conn, asset_id)
        if found is not None:
            row.update(
                asset_id=asset_id,
                urn=found["urn"],
                source=source or found["source"],
                domain=found["domain"],
                table_id=found["parent_id"] if found["type"] == "column" else asset_id,
            )
    event_id = repo.insert(conn, row)
    logger.debug("Published %s event %d: %s", kind.value, event_id, title)
    return event_id


def _record(row: Mapping[str, Any]) -> CatalogEvent:
    return CatalogEvent(
        id=int(row["id"]),
        kind=str(row["kind"]),
        title=str(row["title"]),
        created_at=row["created_at"],
        asset_id=row["asset_id"],
        table_id=row["table_id"],
        urn=row["urn"],
        source=row["source"],
        domain=row["domain"],
        workflow=row["workflow"],
        payload=row["payload"] or {},
    )


def read_after(conn: Connection, event_id: int, limit: int) -> list[CatalogEvent]:
    """Up to ``limit`` events after ``event_id``, oldest first."""
    return [_record(r) for r in repo.after(conn, event_id, limit)]


def last_id(conn: Connection) -> int:
    """The id of the newest event (0 without any)."""
    return repo.last_id(conn)
