"""pools: named slot capacities that workflow steps draw from (``pool:`` in a step)

Revision ID: orchestration_0002
Revises: orchestration_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "orchestration_0002"
down_revision = "orchestration_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pools")),
    )


def downgrade() -> None:
    op.drop_table("pools")
