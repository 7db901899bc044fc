"""The tag taxonomy: groups of tags (``tier`` holding ``gold``, ``silver``), with who may apply
them."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata, row_version

tag_groups = sa.Table(
    "tag_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),  # lower case
    sa.Column("description", sa.Text),
    sa.Column("apply_roles", JSONType, nullable=False, default=list),  # roles that may apply
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
)

taxonomy_tags = sa.Table(
    "taxonomy_tags",
    metadata,
    sa.Column("group_id", sa.ForeignKey("tag_groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(99), primary_key=True),  # lower case; the tag is group.name
    sa.Column("description", sa.Text),
)
