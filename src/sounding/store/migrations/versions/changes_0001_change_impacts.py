"""change_impacts: the downstream of each schema change, walked when its scan ran

Revision ID: changes_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "changes_0001"
down_revision = "0001"
branch_labels = ("changes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_impacts",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("downstream", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["discovery_events.id"],
            name=op.f("fk_change_impacts_event_id_discovery_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_change_impacts")),
    )


def downgrade() -> None:
    op.drop_table("change_impacts")
