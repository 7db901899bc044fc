"""quality scores: a NULL overall score marks a table left with nothing to score

Revision ID: quality_0002
Revises: quality_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "quality_0002"
down_revision = "quality_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quality_scores", schema=None) as batch_op:
        batch_op.alter_column("score", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM quality_scores WHERE score IS NULL")
    with op.batch_alter_table("quality_scores", schema=None) as batch_op:
        batch_op.alter_column("score", existing_type=sa.Float(), nullable=False)
