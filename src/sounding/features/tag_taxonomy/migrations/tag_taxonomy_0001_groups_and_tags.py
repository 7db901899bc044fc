"""tag groups and the tags they define

Revision ID: tag_taxonomy_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tag_taxonomy_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tag_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("apply_roles", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_groups_name")),
    )
    op.create_table(
        "taxonomy_tags",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=99), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["tag_groups.id"],
            name=op.f("fk_taxonomy_tags_group_id_tag_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "name", name=op.f("pk_taxonomy_tags")),
    )


def downgrade() -> None:
    op.drop_table("taxonomy_tags")
    op.drop_table("tag_groups")
