"""Usage of assets (views, search hits, query-log calls), the search query log, popularity."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, metadata

# one row per asset, UTC day and kind (view | search_hit | query), counts added up
usage_daily = sa.Table(
    "usage_daily",
    metadata,
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("users", sa.Integer, nullable=False, server_default="0"),  # distinct, that day
    sa.Index(None, "day"),
)

# who used what on which day: only to count distinct users; rows of past days are pruned
usage_users = sa.Table(
    "usage_users",
    metadata,
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("user_name", sa.String(200), primary_key=True),
)

search_queries = sa.Table(
    "search_queries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("query", sa.String(500), nullable=False),
    sa.Column("user_name", sa.String(200)),
    sa.Column("mode", sa.String(20)),
    sa.Column("result_count", sa.Integer, nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Index(None, "at"),
)

asset_popularity = sa.Table(
    "asset_popularity",
    metadata,
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("computed_at", TS, nullable=False),
)

# the calls counter last read per statement of a source's query log: re-reading adds deltas
query_usage_state = sa.Table(
    "query_usage_state",
    metadata,
    sa.Column("source_id", sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("query_key", sa.String(200), primary_key=True),
    sa.Column("calls", sa.BigInteger, nullable=False),
    sa.Column("seen_at", TS, nullable=False),
)
