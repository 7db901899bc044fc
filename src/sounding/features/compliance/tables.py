"""What compliance evaluation keeps: findings and their history, evaluation runs, uploaded
frameworks."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata, row_version

compliance_findings = sa.Table(
    "compliance_findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("framework", sa.String(64), nullable=False),
    sa.Column("requirement_id", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | accepted | resolved
    sa.Column("evidence", JSONType, nullable=False),
    sa.Column("justification", sa.Text),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", TS),
    sa.Column("first_seen", TS, nullable=False),
    sa.Column("last_seen", TS, nullable=False),
    sa.Column("resolved_at", TS),
    # seen by a steward who owns the follow-up; still open (compliance_0003)
    sa.Column("acknowledged_by", sa.String(200)),
    sa.Column("acknowledged_at", TS),
    row_version(),
    sa.UniqueConstraint("asset_id", "framework", "requirement_id"),
    sa.Index(None, "framework", "status", "severity"),
)

compliance_evaluations = sa.Table(
    "compliance_evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("source", sa.String(200)),  # None: every source
    sa.Column("frameworks", JSONType, nullable=False),
    sa.Column("assets_in_scope", sa.Integer, nullable=False),
    sa.Column("opened", sa.Integer, nullable=False),
    sa.Column("reopened", sa.Integer, nullable=False),
    sa.Column("resolved", sa.Integer, nullable=False),
    sa.Column("open_total", sa.Integer, nullable=False),
    sa.Column("summary", JSONType, nullable=False),  # per framework: in scope, open by severity
    sa.Index(None, "started_at"),
)

compliance_frameworks = sa.Table(
    "compliance_frameworks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("framework_id", sa.String(64), nullable=False, unique=True),
    sa.Column("definition", JSONType, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

# Append-only history of each finding: every status change, by an evaluation or by hand.
compliance_finding_events = sa.Table(
    "compliance_finding_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "finding_id", sa.ForeignKey("compliance_findings.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("event", sa.String(20), nullable=False),  # opened | accepted | resolved | reopened
    sa.Column("from_status", sa.String(20)),  # None when opened
    sa.Column("origin", sa.String(20), nullable=False),  # evaluation | manual | migration
    sa.Column("actor", sa.String(200)),
    sa.Column("note", sa.Text),  # the justification of an acceptance, a resolve/reopen note
    sa.Column("at", TS, nullable=False),
    sa.Index(None, "finding_id", "id"),
    sa.Index(None, "at"),
)
