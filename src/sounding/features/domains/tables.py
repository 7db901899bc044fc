"""Domains: named areas of the business that assets belong to, nested under a parent."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata, row_version

domains = sa.Table(
    "domains",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),  # what assets.domain holds
    sa.Column("name_key", sa.String(200), nullable=False, unique=True),  # case-folded name
    sa.Column("description", sa.Text),
    sa.Column("owners", JSONType, nullable=False, default=list),  # user names
    sa.Column("parent_id", sa.ForeignKey("domains.id", ondelete="RESTRICT")),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
    sa.Index(None, "parent_id"),
)
