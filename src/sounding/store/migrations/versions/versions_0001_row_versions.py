"""row versions: a revision per source, asset, glossary term, quality rule, workflow and
compliance finding, the base of their ETags (If-Match writes)

Existing rows start at revision 1; every later UPDATE through the tables increments it.

Revision ID: versions_0001
Revises: compliance_0002, glossary_0001, quality_0002, orchestration_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "versions_0001"
down_revision = ("compliance_0002", "glossary_0001", "quality_0002", "orchestration_0001")
branch_labels = None
depends_on = None

TABLES = (
    "sources",
    "assets",
    "glossary_terms",
    "quality_rules",
    "workflows",
    "compliance_findings",
)


def upgrade() -> None:
    for table in TABLES:
        # a plain ADD COLUMN (no batch copy): SQLite keeps the table and its triggers
        op.add_column(
            table, sa.Column("row_version", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_version")
