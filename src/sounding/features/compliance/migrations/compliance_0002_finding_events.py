"""compliance finding history: one append-only event per status change

Existing findings get their history reconstructed from what the finding row kept: ``opened``
at ``first_seen``, then ``accepted`` at ``decided_at`` (accepted findings, with the
justification) or ``resolved`` at ``resolved_at`` (resolved findings). Those events have the
origin ``migration``.

Revision ID: compliance_0002
Revises: compliance_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "compliance_0002"
down_revision = "compliance_0001"
branch_labels = None
depends_on = None

BACKFILL = (
    """INSERT INTO compliance_finding_events
           (finding_id, event, from_status, origin, actor, note, at)
       SELECT id, 'opened', NULL, 'migration', NULL, NULL, first_seen
       FROM compliance_findings""",
    """INSERT INTO compliance_finding_events
           (finding_id, event, from_status, origin, actor, note, at)
       SELECT id, 'accepted', 'open', 'migration', decided_by, justification, decided_at
       FROM compliance_findings WHERE status = 'accepted' AND decided_at IS NOT NULL""",
    """INSERT INTO compliance_finding_events
           (finding_id, event, from_status, origin, actor, note, at)
       SELECT id, 'resolved', NULL, 'migration',
              CASE WHEN decided_at = resolved_at THEN decided_by END, NULL, resolved_at
       FROM compliance_findings WHERE status = 'resolved' AND resolved_at IS NOT NULL""",
)


def upgrade() -> None:
    op.create_table(
        "compliance_finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["compliance_findings.id"],
            name=op.f("fk_compliance_finding_events_finding_id_compliance_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_finding_events")),
    )
    with op.batch_alter_table("compliance_finding_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_finding_events_finding_id_id"),
            ["finding_id", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_compliance_finding_events_at"), ["at"], unique=False)
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("compliance_finding_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_finding_events_at"))
        batch_op.drop_index(batch_op.f("ix_compliance_finding_events_finding_id_id"))
    op.drop_table("compliance_finding_events")
