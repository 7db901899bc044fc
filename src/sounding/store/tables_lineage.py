"""Lineage edges between catalog assets (tables, views, datasets, columns)."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata

lineage_edges = sa.Table(
    "lineage_edges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("target_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("level", sa.String(10), nullable=False),  # table | column
    sa.Column("kind", sa.String(20)),  # copy|transform|aggregate|window|filter (column level)
    sa.Column("confidence", sa.Float, nullable=False, default=1.0),
    # where it was found: view | sql | query_log | openlineage | dbt | manual
    sa.Column("origin", sa.String(20), nullable=False),
    # what, within the origin, owns the edge: a view URN, a statement hash, a job name ...
    sa.Column("origin_key", sa.String(500), nullable=False),
    sa.Column("statement", sa.Text),
    sa.Column("created_by", sa.String(200)),
    sa.Column("first_seen", TS, nullable=False),
    sa.Column("last_seen", TS, nullable=False),
    sa.UniqueConstraint("source_id", "target_id", "level", "origin", "origin_key"),
    sa.Index(None, "source_id", "level"),
    sa.Index(None, "target_id", "level"),
    sa.Index(None, "origin", "origin_key"),
)

# what each view's lineage was last derived from: a re-scan skips parsing a view whose
# definition and source catalog hash to the same fingerprint
view_lineage_state = sa.Table(
    "view_lineage_state",
    metadata,
    sa.Column("view_urn", sa.String(500), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("problems", JSONType, nullable=False),  # parse problems, repeated when skipped
    sa.Column("updated_at", TS, nullable=False),
)
