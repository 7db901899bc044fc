"""Publishing catalog events, in the transaction of the change that causes them.

The core and the features call :func:`publish`; nothing here knows who listens. The alerts
feature reads the outbox in id order (:func:`read_after`) past a cursor of its own, so an
event published by a transaction that rolls back is never seen, and one that commits is seen
once the reader gets to it, even after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.events import CatalogEvent, EventKind
from sounding.store.repos import events as repo
from sounding.store.repos import utcnow

logger = logging.getLogger(__name__)

TITLE_MAX = 500


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event to publish with :func:`publish_many`; the fields are :func:`publish`'s."""

    kind: EventKind
    title: str
    asset_id: int | None = None
    source: str | None = None
    workflow: str | None = None
    payload: Mapping[str, Any] | None = None


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
    event = NewEvent(kind, title, asset_id, source, workflow, payload)
    context = repo.asset_context(conn, asset_id) if asset_id is not None else None
    event_id = repo.insert(conn, _row(event, context, utcnow()))
    logger.debug("Published %s event %d: %s", kind.value, event_id, title)
    return event_id


def publish_many(
    conn: Connection,
    new: Sequence[NewEvent],
    contexts: Mapping[int, Mapping[str, Any]] | None = None,
) -> int:
    """Record many events on ``conn`` in id order, as :func:`publish` does one by one, with
    one read of their assets and one insert; returns how many were published.

    ``contexts`` holds the :func:`~sounding.store.repos.events.asset_context` of assets the
    caller has just read in this transaction (their ``urn``, ``type``, ``parent_id``,
    ``source`` and ``domain``): those are not read again."""
    if not new:
        return 0
    known = dict(contexts or {})
    missing = {e.asset_id for e in new if e.asset_id is not None and e.asset_id not in known}
    known |= repo.asset_contexts(conn, missing)
    now = utcnow()
    repo.insert_many(
        conn,
        [_row(e, known.get(e.asset_id) if e.asset_id is not None else None, now) for e in new],
    )
    logger.debug("Published %d events", len(new))
    return len(new)


def _row(event: NewEvent, context: Mapping[str, Any] | None, now: Any) -> dict[str, Any]:
    """The outbox row of ``event``; ``context`` is its asset's (None: no asset, or gone)."""
    row: dict[str, Any] = {
        "kind": event.kind.value,
        "title": event.title[:TITLE_MAX],
        "created_at": now,
        "source": event.source,
        "workflow": event.workflow,
        "payload": dict(event.payload or {}),
        "asset_id": None,
        "urn": None,
        "domain": None,
        "table_id": None,
    }
    if event.asset_id is not None and context is not None:
        row.update(
            asset_id=event.asset_id,
            urn=context["urn"],
            source=event.source or context["source"],
            domain=context["domain"],
            table_id=context["parent_id"] if context["type"] == "column" else event.asset_id,
        )
    return row


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
