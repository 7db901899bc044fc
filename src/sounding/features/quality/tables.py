"""What data quality keeps: rules, runs, per-rule results and per-table scores over time."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, RedactedText, metadata, row_version

quality_rules = sa.Table(
    "quality_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # the table, view or dataset the rule checks; column rules name one of its columns
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("column_name", sa.String(1000)),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("params", JSONType, nullable=False),
    sa.Column("dimension", sa.String(30), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # active | suggested | rejected
    sa.Column("origin", sa.String(20), nullable=False),  # api | file | suggestion
    sa.Column("description", sa.Text),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", TS),
    row_version(),
    sa.UniqueConstraint("asset_id", "name"),
    sa.Index(None, "status"),
)

quality_runs = sa.Table(
    "quality_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="SET NULL")),  # one table only
    sa.Column("status", sa.String(20), nullable=False),  # running | succeeded | failed
    sa.Column("triggered_by", sa.String(200)),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS),
    sa.Column("rules_total", sa.Integer, nullable=False, default=0),
    sa.Column("rules_passed", sa.Integer, nullable=False, default=0),
    sa.Column("rules_failed", sa.Integer, nullable=False, default=0),
    sa.Column("rules_errored", sa.Integer, nullable=False, default=0),
    sa.Column("error", RedactedText),
    sa.Index(None, "source_id", "id"),
)

quality_results = sa.Table(
    "quality_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.ForeignKey("quality_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("rule_id", sa.ForeignKey("quality_rules.id", ondelete="CASCADE"), nullable=False),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("passed", sa.Boolean),  # NULL: the check errored
    sa.Column("failing_count", sa.BigInteger),
    sa.Column("total_count", sa.BigInteger),
    sa.Column("ratio", sa.Float),
    sa.Column("observed", JSONType, nullable=False),
    sa.Column("examples", JSONType, nullable=False),
    sa.Column("error", RedactedText),
    sa.Column("created_at", TS, nullable=False),
    sa.Index(None, "rule_id", "id"),
    sa.Index(None, "run_id"),
    sa.Index(None, "asset_id", "id"),
)

quality_scores = sa.Table(
    "quality_scores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("run_id", sa.ForeignKey("quality_runs.id", ondelete="SET NULL")),
    sa.Column("dimension", sa.String(30), nullable=False),  # a dimension, or "overall"
    # 0..1; NULL (on "overall" only): from then on the table has no score, its rules having
    # been deleted, rejected or left without a usable result
    sa.Column("score", sa.Float),
    sa.Column("computed_at", TS, nullable=False),
    sa.Index(None, "asset_id", "dimension", "computed_at"),
)
