"""Read-only figures for the home page that the analytics repo does not already give: what
waits for a steward, glossary coverage, and the newest discovery events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.glossary.tables import glossary_links
from sounding.store.tables import assets, discovery_events, sources
from sounding.store.tables_scanning import classifications

OBJECTS = ("table", "view", "dataset")
LIVE = assets.c.deleted_at.is_(None)
# built once: aliasing the wide assets table makes a proxy per column (~2 ms a call)
_LINKED = assets.alias("linked_assets")
_LINKED_ROLLED = sa.case(
    (_LINKED.c.type == sa.literal_column("'column'"), _LINKED.c.parent_id), else_=_LINKED.c.id
)


def pending_classifications(conn: Connection) -> int:
    """Labels suggested by scans on live assets, not yet confirmed or rejected."""
    query = (
        sa.select(sa.func.count())
        .select_from(classifications)
        .join(assets, assets.c.id == classifications.c.asset_id)
        .where(classifications.c.status == "suggested", LIVE)
    )
    return int(conn.execute(query).scalar_one())


def objects_with_terms(conn: Connection) -> int:
    """Live objects linked to an accepted glossary term, themselves or through a column."""
    linked = sa.select(glossary_links.c.asset_id).where(glossary_links.c.status == "accepted")
    rolled = sa.select(_LINKED_ROLLED).where(_LINKED.c.id.in_(linked))
    query = (
        sa.select(sa.func.count())
        .select_from(assets)
        .where(LIVE, assets.c.type.in_(OBJECTS), assets.c.id.in_(rolled))
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
