"""search outbox and the triggers that fill it

Revision ID: search_0001
Revises: scanning_0001 (its triggers watch the classifications table)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_0001"
down_revision = "scanning_0001"
branch_labels = None
depends_on = None

COLUMNS = (
    "name, qualified_name, description, tags, owner, steward, domain, criticality, lifecycle, "
    "deleted_at, data_type, source_properties, parent_id, custom_properties"
)
NOTE = "INSERT INTO search_outbox (asset_id, urn) VALUES ({ref}, {urn})"
LABEL_URN = "(SELECT urn FROM assets WHERE id = {row}.asset_id)"


def _sqlite() -> None:
    for name, event, row, table in (
        ("assets_search_ins", "AFTER INSERT", "NEW", "assets"),
        ("assets_search_upd", f"AFTER UPDATE OF {COLUMNS}", "NEW", "assets"),
        ("assets_search_del", "AFTER DELETE", "OLD", "assets"),
        ("labels_search_ins", "AFTER INSERT", "NEW", "classifications"),
        ("labels_search_upd", "AFTER UPDATE OF label, status", "NEW", "classifications"),
        ("labels_search_del", "AFTER DELETE", "OLD", "classifications"),
    ):
        if table == "assets":
            note = NOTE.format(ref=f"{row}.id", urn=f"{row}.urn")
        else:
            note = NOTE.format(ref=f"{row}.asset_id", urn=LABEL_URN.format(row=row))
        op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW BEGIN {note}; END")


def _postgres() -> None:
    op.execute(
        """
        CREATE FUNCTION sounding_search_note() RETURNS trigger AS $$
        BEGIN
            IF TG_TABLE_NAME = 'assets' THEN
                IF TG_OP = 'DELETE' THEN
                    INSERT INTO search_outbox (asset_id, urn) VALUES (OLD.id, OLD.urn);
                ELSE
                    INSERT INTO search_outbox (asset_id, urn) VALUES (NEW.id, NEW.urn);
                END IF;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO search_outbox (asset_id, urn)
                VALUES (OLD.asset_id, (SELECT urn FROM assets WHERE id = OLD.asset_id));
            ELSE
                INSERT INTO search_outbox (asset_id, urn)
                VALUES (NEW.asset_id, (SELECT urn FROM assets WHERE id = NEW.asset_id));
            END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for name, event, table in (
        ("assets_search_ins", "AFTER INSERT", "assets"),
        ("assets_search_upd", f"AFTER UPDATE OF {COLUMNS}", "assets"),
        ("assets_search_del", "AFTER DELETE", "assets"),
        (
            "labels_search_chg",
            "AFTER INSERT OR UPDATE OF label, status OR DELETE",
            "classifications",
        ),
    ):
        op.execute(
            f"CREATE TRIGGER {name} {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sounding_search_note()"
        )


def upgrade() -> None:
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres()
    else:
        _sqlite()


def downgrade() -> None:
    bind = op.get_bind()
    names = ("assets_search_ins", "assets_search_upd", "assets_search_del")
    if bind.dialect.name == "postgresql":
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON assets")
        op.execute("DROP TRIGGER IF EXISTS labels_search_chg ON classifications")
        op.execute("DROP FUNCTION IF EXISTS sounding_search_note()")
    else:
        for name in (*names, "labels_search_ins", "labels_search_upd", "labels_search_del"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("search_outbox")
