"""API tokens expire: ``api_tokens.expires_at`` (NULL: never), ``replaced_by`` (rotation)

Revision ID: accounts_0001
Revises: 0001

Tokens made before this revision keep no expiry (NULL); operators rotate them with
``sounding token rotate``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "accounts_0001"
down_revision = "0001"
branch_labels = ("accounts",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("replaced_by")
        batch.drop_column("expires_at")
