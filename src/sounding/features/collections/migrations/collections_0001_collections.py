"""collections of assets, their shares and items

Revision ID: collections_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "collections_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("owner", "name_key", name=op.f("uq_collections_owner_name_key")),
    )
    op.create_index(op.f("ix_collections_visibility"), "collections", ["visibility"], unique=False)
    op.create_table(
        "collection_shares",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_shares_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "user_name", name=op.f("pk_collection_shares")),
    )
    op.create_index(
        op.f("ix_collection_shares_user_name"), "collection_shares", ["user_name"], unique=False
    )
    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("urn", sa.String(length=2000), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_collection_items_asset_id_assets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_items_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
        sa.UniqueConstraint(
            "collection_id", "asset_id", name=op.f("uq_collection_items_collection_id_asset_id")
        ),
    )
    op.create_index(
        op.f("ix_collection_items_collection_id_position"),
        "collection_items",
        ["collection_id", "position"],
        unique=False,
    )
    op.create_index(
        op.f("ix_collection_items_asset_id"), "collection_items", ["asset_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("collection_items")
    op.drop_table("collection_shares")
    op.drop_table("collections")
