"""compliance findings can be acknowledged: ``acknowledged_by`` / ``acknowledged_at``

An acknowledged finding is still open (it counts as open in reports, metrics and
evaluations): a steward has seen it and owns the follow-up. Reopening a finding clears it.

Revision ID: compliance_0003
Revises: compliance_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "compliance_0003"
down_revision = "compliance_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("compliance_findings") as batch:
        batch.add_column(sa.Column("acknowledged_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compliance_findings") as batch:
        batch.drop_column("acknowledged_at")
        batch.drop_column("acknowledged_by")
