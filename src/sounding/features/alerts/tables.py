"""The alerts feature's tables: subscriptions, the in-app inbox, and the dispatcher's cursor
over the catalog event outbox (``catalog_events``)."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata

alert_subscriptions = sa.Table(
    "alert_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_name", sa.String(200), nullable=False),
    # asset | domain | source | saved_search | workflow
    sa.Column("target_kind", sa.String(20), nullable=False),
    # an asset's URN, a domain's, source's or workflow's name, a saved search's query text
    sa.Column("target_ref", sa.String(2000), nullable=False),
    # the digest of kind and ref: a user subscribes to a target once
    sa.Column("target_key", sa.String(200), nullable=False),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE")),  # an asset target's
    sa.Column("events", JSONType, nullable=False),  # event kinds; [] is every kind
    sa.Column("channels", JSONType, nullable=False),  # external channels besides the inbox
    sa.Column("digest", sa.Boolean, nullable=False),  # external channels get one message a day
    sa.Column("muted", sa.Boolean, nullable=False),  # mutes the owner/steward default there
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("user_name", "target_key"),
    sa.Index(None, "target_kind", "target_ref"),
    sa.Index(None, "asset_id"),
)

alert_notifications = sa.Table(
    "alert_notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("event_id", sa.ForeignKey("catalog_events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("urn", sa.String(2000)),
    sa.Column("link", sa.String(2000)),
    sa.Column("reason", sa.String(300), nullable=False),  # why this user: "owner", "source shop"
    sa.Column("created_at", TS, nullable=False),
    sa.Column("read_at", TS),
    # a digest subscriber's channels, told once a day; NULL once told (or with none)
    sa.Column("digest_channels", JSONType),
    sa.UniqueConstraint("user_name", "event_id"),  # one notification per event per user
    sa.Index(None, "user_name", "read_at"),
)

alert_cursor = sa.Table(
    "alert_cursor",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False),  # the last catalog event dispatched
    sa.Column("updated_at", TS, nullable=False),
)
