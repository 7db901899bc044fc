"""What the profiling and classification stages keep: profiles, labels, rule sets."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("scan_run_id", sa.ForeignKey("scan_runs.id", ondelete="SET NULL")),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("row_count", sa.BigInteger),
    sa.Column("policy", JSONType, nullable=False),
    sa.Column("profile", JSONType, nullable=False),
    sa.Index(None, "asset_id", "id"),
)

classifications = sa.Table(
    "classifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # suggested | confirmed | rejected
    sa.Column("rule", sa.String(300)),
    sa.Column("evidence", JSONType, nullable=False),
    sa.Column("scan_run_id", sa.ForeignKey("scan_runs.id", ondelete="SET NULL")),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", TS),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("asset_id", "label"),
    sa.Index(None, "label", "status"),
)

# per table: which rules and which table shape the current labels were computed with
classification_state = sa.Table(
    "classification_state",
    metadata,
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ruleset_hash", sa.String(64), nullable=False),
    sa.Column("table_fingerprint", sa.String(64)),
    sa.Column("classified_at", TS, nullable=False),
)

scan_rule_sets = sa.Table(
    "scan_rule_sets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("definition", JSONType, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

source_rule_sets = sa.Table(
    "source_rule_sets",
    metadata,
    sa.Column("source_id", sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "rule_set_id", sa.ForeignKey("scan_rule_sets.id", ondelete="CASCADE"), primary_key=True
    ),
)
