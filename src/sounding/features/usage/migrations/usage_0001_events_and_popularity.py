"""usage counts per asset and day, distinct users, search query log, popularity, query-log state

Revision ID: usage_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "usage_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _asset_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["asset_id"],
        ["assets.id"],
        name=op.f(f"fk_{table}_asset_id_assets"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "usage_daily",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("users", sa.Integer(), server_default="0", nullable=False),
        _asset_fk("usage_daily"),
        sa.PrimaryKeyConstraint("asset_id", "day", "kind", name=op.f("pk_usage_daily")),
    )
    op.create_index(op.f("ix_usage_daily_day"), "usage_daily", ["day"], unique=False)
    op.create_table(
        "usage_users",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        _asset_fk("usage_users"),
        sa.PrimaryKeyConstraint(
            "asset_id", "day", "kind", "user_name", name=op.f("pk_usage_users")
        ),
    )
    op.create_table(
        "search_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=True),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queries")),
    )
    op.create_index(op.f("ix_search_queries_at"), "search_queries", ["at"], unique=False)
    op.create_table(
        "asset_popularity",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("computed_at", TS, nullable=False),
        _asset_fk("asset_popularity"),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_asset_popularity")),
    )
    op.create_table(
        "query_usage_state",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("query_key", sa.String(length=200), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_query_usage_state_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "query_key", name=op.f("pk_query_usage_state")),
    )


def downgrade() -> None:
    op.drop_table("query_usage_state")
    op.drop_table("asset_popularity")
    op.drop_index(op.f("ix_search_queries_at"), table_name="search_queries")
    op.drop_table("search_queries")
    op.drop_table("usage_users")
    op.drop_index(op.f("ix_usage_daily_day"), table_name="usage_daily")
    op.drop_table("usage_daily")
