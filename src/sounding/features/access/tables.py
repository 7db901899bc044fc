"""The access tables: policies (who holds which role's permissions on which scope)."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, metadata

# one row per user and scope (access_0001): ``role`` is viewer or steward, ``unmasked`` grants
# pii:read on the scope; deleting the user deletes their policies
access_policies = sa.Table(
    "access_policies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("scope_kind", sa.String(30), nullable=False),
    sa.Column("scope_name", sa.String(200), nullable=False),
    sa.Column("unmasked", sa.Boolean, nullable=False),
    sa.Column("description", sa.String(500)),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("user_id", "scope_kind", "scope_name"),
)

# one row (id 1): ``generation`` grows with every policy change, in the same transaction; each
# process caches policies and re-reads them when the generation it saw is not the store's
access_state = sa.Table(
    "access_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.BigInteger, nullable=False),
)
