"""quality rules, runs, results and scores

Revision ID: quality_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "quality_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "quality_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=1000), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("dimension", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        _fk("asset_id", "quality_rules", "assets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rules")),
        sa.UniqueConstraint("asset_id", "name", name=op.f("uq_quality_rules_asset_id_name")),
    )
    op.create_index(op.f("ix_quality_rules_status"), "quality_rules", ["status"])
    op.create_table(
        "quality_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("triggered_by", sa.String(length=200), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("rules_total", sa.Integer(), nullable=False),
        sa.Column("rules_passed", sa.Integer(), nullable=False),
        sa.Column("rules_failed", sa.Integer(), nullable=False),
        sa.Column("rules_errored", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _fk("source_id", "quality_runs", "sources", "CASCADE"),
        _fk("asset_id", "quality_runs", "assets", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_runs")),
    )
    op.create_index(op.f("ix_quality_runs_source_id_id"), "quality_runs", ["source_id", "id"])
    op.create_table(
        "quality_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("failing_count", sa.BigInteger(), nullable=True),
        sa.Column("total_count", sa.BigInteger(), nullable=True),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("observed", JSON, nullable=False),
        sa.Column("examples", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        _fk("run_id", "quality_results", "quality_runs", "CASCADE"),
        _fk("rule_id", "quality_results", "quality_rules", "CASCADE"),
        _fk("asset_id", "quality_results", "assets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_results")),
    )
    op.create_index(op.f("ix_quality_results_rule_id_id"), "quality_results", ["rule_id", "id"])
    op.create_index(op.f("ix_quality_results_run_id"), "quality_results", ["run_id"])
    op.create_index(op.f("ix_quality_results_asset_id_id"), "quality_results", ["asset_id", "id"])
    op.create_table(
        "quality_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("dimension", sa.String(length=30), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("computed_at", TS, nullable=False),
        _fk("asset_id", "quality_scores", "assets", "CASCADE"),
        _fk("run_id", "quality_scores", "quality_runs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_scores")),
    )
    op.create_index(
        op.f("ix_quality_scores_asset_id_dimension_computed_at"),
        "quality_scores",
        ["asset_id", "dimension", "computed_at"],
    )


def downgrade() -> None:
    op.drop_table("quality_scores")
    op.drop_table("quality_results")
    op.drop_table("quality_runs")
    op.drop_table("quality_rules")
