"""Collections: named, ordered lists of assets that a user keeps and may share."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, metadata, row_version

collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),  # the user who made it
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False),  # case-folded, unique per owner
    sa.Column("description", sa.Text),
    sa.Column("visibility", sa.String(10), nullable=False),  # private | shared | users
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
    sa.UniqueConstraint("owner", "name_key"),
    sa.Index(None, "visibility"),
)

# the users a collection of visibility ``users`` is shared with
collection_shares = sa.Table(
    "collection_shares",
    metadata,
    sa.Column(
        "collection_id", sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_name", sa.String(200), primary_key=True),
    sa.Index(None, "user_name"),
)

collection_items = sa.Table(
    "collection_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collection_id", sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    # the asset while the store holds it; its URN stays when it is purged
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="SET NULL")),
    sa.Column("urn", sa.String(2000), nullable=False),
    sa.Column("name", sa.String(1000)),  # the asset's, when added (shown once it is gone)
    sa.Column("type", sa.String(20)),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.Column("added_at", TS, nullable=False),
    sa.UniqueConstraint("collection_id", "asset_id"),
    sa.Index(None, "collection_id", "position"),
    sa.Index(None, "asset_id"),
)
