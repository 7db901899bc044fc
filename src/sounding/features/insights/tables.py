"""Applied recommendations: what an insight changed, the value it replaced, and its rollback.

One row per application of a recommendation (``sounding.features.insights.advice``). ``change`` is
``{"field", "step", "value"}`` as applied to the workflow document; ``previous`` is
``{"present": bool, "value": ...}`` so a rollback restores the old value or removes the field.
"""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata

insight_actions = sa.Table(
    "insight_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recommendation_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("workflow", sa.String(200), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("change", JSONType, nullable=False),
    sa.Column("previous", JSONType, nullable=False),
    sa.Column("evidence", JSONType, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # applied | rolled_back
    sa.Column("applied_at", TS, nullable=False),
    sa.Column("applied_by", sa.String(200), nullable=False),
    sa.Column("applied_version", sa.Integer),  # the workflow version the change made
    sa.Column("rolled_back_at", TS),
    sa.Column("rolled_back_by", sa.String(200)),
    sa.Column("rolled_back_version", sa.Integer),
    sa.Index(None, "recommendation_id"),
    sa.Index(None, "workflow"),
)
