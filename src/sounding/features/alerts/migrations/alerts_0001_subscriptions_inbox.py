"""alert subscriptions, the inbox and the dispatcher's cursor

Revision ID: alerts_0001
Revises: events_0001 (notifications name catalog events)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "alerts_0001"
down_revision = "events_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_ref", sa.String(length=2000), nullable=False),
        sa.Column("target_key", sa.String(length=200), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("events", JSON, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_alert_subscriptions_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
        sa.UniqueConstraint(
            "user_name", "target_key", name=op.f("uq_alert_subscriptions_user_name_target_key")
        ),
    )
    op.create_index(
        op.f("ix_alert_subscriptions_target_kind_target_ref"),
        "alert_subscriptions",
        ["target_kind", "target_ref"],
        unique=False,
    )
    op.create_index(
        op.f("ix_alert_subscriptions_asset_id"), "alert_subscriptions", ["asset_id"], unique=False
    )
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("urn", sa.String(length=2000), nullable=True),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("digest_channels", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["catalog_events.id"],
            name=op.f("fk_alert_notifications_event_id_catalog_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
        sa.UniqueConstraint(
            "user_name", "event_id", name=op.f("uq_alert_notifications_user_name_event_id")
        ),
    )
    op.create_index(
        op.f("ix_alert_notifications_user_name_read_at"),
        "alert_notifications",
        ["user_name", "read_at"],
        unique=False,
    )
    op.create_table(
        "alert_cursor",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alert_cursor")),
    )
    # the dispatcher's row exists from the start, so servers sharing a store lock it
    op.execute(
        "INSERT INTO alert_cursor (name, event_id, updated_at) "
        "VALUES ('dispatcher', 0, CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:
    op.drop_table("alert_cursor")
    op.drop_table("alert_notifications")
    op.drop_table("alert_subscriptions")
