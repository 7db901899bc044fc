"""What each schema change reached downstream when the scan that found it ran.

A scan's lineage stage re-derives the views' edges after discovery: a view redefined without
a dropped column no longer reads it. So the downstream of each breaking discovery event is
walked right after discovery, over the lineage as it was, and kept here.
"""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata

change_impacts = sa.Table(
    "change_impacts",
    metadata,
    sa.Column(
        "event_id",
        sa.ForeignKey("discovery_events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("level", sa.String(10), nullable=False),  # table | column: the lineage walked
    # [[asset id, distance], ...], nearest first, at most the walk's node cap
    sa.Column("downstream", JSONType, nullable=False),
    sa.Column("truncated", sa.Boolean, nullable=False),
    sa.Column("computed_at", TS, nullable=False),
)
