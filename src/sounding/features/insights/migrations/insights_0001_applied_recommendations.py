"""insight_actions: applied recommendations and their rollback

Revision ID: insights_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "insights_0001"
down_revision = "0001"
branch_labels = ("insights",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insight_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("workflow", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("change", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("previous", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("evidence", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        sa.Column("applied_version", sa.Integer(), nullable=True),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_by", sa.String(length=200), nullable=True),
        sa.Column("rolled_back_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_actions")),
    )
    with op.batch_alter_table("insight_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_insight_actions_recommendation_id"), ["recommendation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_insight_actions_workflow"), ["workflow"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("insight_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_actions_workflow"))
        batch_op.drop_index(batch_op.f("ix_insight_actions_recommendation_id"))
    op.drop_table("insight_actions")
