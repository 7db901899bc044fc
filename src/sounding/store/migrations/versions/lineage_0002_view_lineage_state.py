"""view_lineage_state: the fingerprint each view's lineage was derived from

Revision ID: lineage_0002
Revises: lineage_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lineage_0002"
down_revision = "lineage_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "view_lineage_state",
        sa.Column("view_urn", sa.String(length=500), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("problems", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("view_urn", name=op.f("pk_view_lineage_state")),
    )


def downgrade() -> None:
    op.drop_table("view_lineage_state")
