"""scan runs: the execution that runs the scan (a scan is an execution of ``scan:NAME``)

Revision ID: scans_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "scans_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("execution_id", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_scan_runs_execution_id"), ["execution_id"])


def downgrade() -> None:
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_runs_execution_id"))
        batch_op.drop_column("execution_id")
