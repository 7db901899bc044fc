"""Outgoing deliveries (webhooks, Slack, e-mail) and the channels admins configure.

``deliveries`` is an outbox: a caller enqueues a message in its own transaction and the
delivery worker (``services/delivery_worker.py``) sends it later, retrying with back-off; the
row keeps its state (pending, delivered, failed), so a restarted server carries on where the
last one stopped. ``(channel, dedup_key)`` is unique: the same message enqueued twice is sent
once.
"""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, RedactedText, metadata, row_version

delivery_channels = sa.Table(
    "delivery_channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),  # webhook | slack | email
    # webhook and slack: the URL as shown (its path hidden: a Slack URL is its own secret) and
    # the URL itself, SecretBox-encrypted
    sa.Column("url", sa.String(2000)),
    sa.Column("url_encrypted", sa.Text),
    sa.Column("addresses", JSONType, nullable=False, default=list),  # email: [address, ...]
    sa.Column("secret_encrypted", sa.Text),  # the signing secret, SecretBox-encrypted
    sa.Column("rate_per_minute", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # a channel's name or "email:<address>"; no foreign key: the log outlives a channel
    sa.Column("channel", sa.String(300), nullable=False),
    sa.Column("dedup_key", sa.String(400), nullable=False),
    sa.Column("subject", sa.String(1000), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("link", sa.String(2000)),
    sa.Column("status", sa.String(20), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("last_error", RedactedText),
    sa.Column("last_http_status", sa.Integer),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("delivered_at", TS),
    sa.UniqueConstraint("channel", "dedup_key"),
    sa.Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    sa.Index("ix_deliveries_created_at", "created_at"),
)
