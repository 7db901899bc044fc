"""Definitions of custom properties: a typed schema for assets' ``custom_properties``."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata, row_version

property_definitions = sa.Table(
    "property_definitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),  # the key on assets
    sa.Column("description", sa.Text),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("allowed_values", JSONType, nullable=False, default=list),  # enum only
    sa.Column("asset_types", JSONType, nullable=False, default=list),  # empty: every type
    sa.Column("required", sa.Boolean, nullable=False, default=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
)
