"""execution leases: several servers on one store, each execution owned by one of them

``orchestration_servers`` records every engine that ran on the store (a generated id, its host
and pid, its heartbeat); ``execution_leases`` says which one owns each execution and until
when, so that another server takes the execution over when its owner stops renewing.

Revision ID: orchestration_0004
Revises: orchestration_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "orchestration_0004"
down_revision = "orchestration_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orchestration_servers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orchestration_servers")),
    )
    op.create_table(
        "execution_leases",
        sa.Column("execution_id", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_owner_id", sa.String(length=64), nullable=True),
        sa.Column("takeovers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("request", sa.String(length=20), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_leases_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_execution_leases")),
    )
    op.create_index(
        op.f("ix_execution_leases_owner_id"), "execution_leases", ["owner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_execution_leases_owner_id"), table_name="execution_leases")
    op.drop_table("execution_leases")
    op.drop_table("orchestration_servers")
