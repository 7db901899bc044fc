"""The accounts tables: users, their API tokens and their web UI sessions."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    # an argon2id hash (accounts_0002); NULL: the user logs in with API tokens only
    sa.Column("password_hash", sa.String(200)),
)

# web UI sessions (accounts_0002): the cookie carries a random id, the store its SHA-256 hash
ui_sessions = sa.Table(
    "ui_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Index(None, "user_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_used_at", TS),
    sa.Column("revoked_at", TS),
    sa.Column("expires_at", TS),  # NULL: never (accounts_0001)
    sa.Column("replaced_by", sa.Integer),  # the token a rotation made in its place
)
