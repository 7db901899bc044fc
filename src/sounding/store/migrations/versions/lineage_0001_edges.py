"""lineage edges

Revision ID: lineage_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lineage_0001"
down_revision = "0001"
branch_labels = ("lineage",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("origin_key", sa.String(length=500), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["assets.id"],
            name=op.f("fk_lineage_edges_source_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["assets.id"],
            name=op.f("fk_lineage_edges_target_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_edges")),
        sa.UniqueConstraint(
            "source_id",
            "target_id",
            "level",
            "origin",
            "origin_key",
            name=op.f("uq_lineage_edges_source_id_target_id_level_origin_origin_key"),
        ),
    )
    op.create_index(
        op.f("ix_lineage_edges_source_id_level"), "lineage_edges", ["source_id", "level"]
    )
    op.create_index(
        op.f("ix_lineage_edges_target_id_level"), "lineage_edges", ["target_id", "level"]
    )
    op.create_index(
        op.f("ix_lineage_edges_origin_origin_key"), "lineage_edges", ["origin", "origin_key"]
    )


def downgrade() -> None:
    op.drop_table("lineage_edges")
