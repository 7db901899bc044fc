"""The catalog event outbox: events published with the change that causes them, read in id
order by whoever notifies about them (the alerts feature keeps its own cursor)."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata

catalog_events = sa.Table(
    "catalog_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # the asset it concerns while the store holds it; its URN stays when it is purged
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="SET NULL")),
    sa.Column("table_id", sa.ForeignKey("assets.id", ondelete="SET NULL")),
    sa.Column("urn", sa.String(2000)),
    sa.Column("source", sa.String(200)),
    sa.Column("domain", sa.String(200)),
    sa.Column("workflow", sa.String(200)),
    sa.Column("payload", JSONType, nullable=False),
)
