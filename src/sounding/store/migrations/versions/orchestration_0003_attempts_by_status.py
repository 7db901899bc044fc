"""task attempts by status: an index on (execution_id, status)

The execution monitor counts an execution's attempts per status and pages them newest first
within one status; with this index both read the index alone (the row id is in it), never
the 10,000 rows of a big execution.

Revision ID: orchestration_0003
Revises: orchestration_0002
"""

from __future__ import annotations

from alembic import op

revision = "orchestration_0003"
down_revision = "orchestration_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_task_attempts_execution_id_status"),
        "task_attempts",
        ["execution_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_task_attempts_execution_id_status"), table_name="task_attempts")
