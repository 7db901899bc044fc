"""Read-only figures for the home page that the analytics repo does not already give: what
waits for a steward, glossary coverage, and the newest discovery events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables import assets, discovery_events, sources
from sounding.store.tables_scanning import classifications

OBJECTS = ("table", "view", "dataset")
LIVE = assets.c.deleted_at.is_(None)


def pending_classifications(conn: Connection) -> int:
    """Labels suggested by scans on live assets, not yet confirmed or rejected."""
    query = (
        sa.select(sa.func.count())
        .select_from(classifications)
        .join(assets, assets.c.id == classifications.c.asset_id)
        .where(classifications.c.status == "suggested", LIVE)
    )
    return int(conn.execute(query).scalar_one())


def recent_events(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The newest discovery events on tables, views and datasets (columns' changes show as
    their table's ``schema_changed``), newest first."""
    query = (
        sa.select(
            discovery_events.c.id.label("event_id"),
            discovery_events.c.event_type,
            discovery_events.c.created_at.label("at"),
            assets.c.id,
            assets.c.urn,
            assets.c.name,
            assets.c.qualified_name,
            assets.c.type,
            assets.c.deleted_at,
            sources.c.name.label("source"),
        )
        .join(assets, assets.c.id == discovery_events.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
        .where(assets.c.type.in_(OBJECTS))
        .order_by(discovery_events.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
