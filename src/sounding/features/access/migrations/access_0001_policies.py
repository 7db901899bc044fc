"""Access policies: a user holds a role's permissions on a domain, a source or a data product

Revision ID: access_0001
Revises: 0001

A chain of its own (``users`` exists from the initial schema), so the accounts chain can grow
without meeting this one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "access_0001"
down_revision = "0001"
branch_labels = ("access",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("scope_kind", sa.String(length=30), nullable=False),
        sa.Column("scope_name", sa.String(length=200), nullable=False),
        sa.Column("unmasked", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_access_policies_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_policies")),
        sa.UniqueConstraint(
            "user_id",
            "scope_kind",
            "scope_name",
            name=op.f("uq_access_policies_user_id_scope_kind_scope_name"),
        ),
    )
    # one row: a number every policy change raises, so each process sees others' changes
    state = op.create_table(
        "access_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_state")),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("access_state")
    op.drop_table("access_policies")
