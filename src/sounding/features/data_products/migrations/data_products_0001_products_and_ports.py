"""data products and their input and output ports

Revision ID: data_products_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_products_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "data_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owners", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("domain", sa.String(length=200), nullable=True),
        sa.Column("sla", sa.Text(), nullable=True),
        sa.Column("freshness_hours", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_products")),
        sa.UniqueConstraint("name_key", name=op.f("uq_data_products_name_key")),
    )
    op.create_index(op.f("ix_data_products_status"), "data_products", ["status"], unique=False)
    op.create_index(op.f("ix_data_products_domain"), "data_products", ["domain"], unique=False)
    op.create_table(
        "data_product_ports",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_data_product_ports_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["data_products.id"],
            name=op.f("fk_data_product_ports_product_id_data_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "asset_id", "direction", name=op.f("pk_data_product_ports")
        ),
    )
    op.create_index(
        op.f("ix_data_product_ports_asset_id"), "data_product_ports", ["asset_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("data_product_ports")
    op.drop_table("data_products")
