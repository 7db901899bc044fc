"""glossary terms, relations, term-asset links, and their search outbox triggers

Revision ID: glossary_0001
Revises: search_0001 (adds ``search_outbox.kind``; its triggers write the outbox)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "glossary_0001"
down_revision = "search_0001"
branch_labels = None
depends_on = None

TERM_URN = "'urn:sounding:glossary:term:' || {row}.id"
TERM_NOTE = (
    "INSERT INTO search_outbox (kind, asset_id, urn) "
    f"VALUES ('glossary_term', {{row}}.id, {TERM_URN})"
)
# an asset's document holds its own terms and, for a table, its columns' terms: a link change
# notes the asset and its parent
LINKED_NOTE = (
    "INSERT INTO search_outbox (asset_id, urn) SELECT a.id, a.urn FROM assets a "
    "WHERE a.id IN (SELECT l.asset_id FROM glossary_links l "
    "WHERE l.term_id = {row}.id AND l.status = 'accepted') "
    "OR a.id IN (SELECT c.parent_id FROM assets c JOIN glossary_links l ON l.asset_id = c.id "
    "WHERE l.term_id = {row}.id AND l.status = 'accepted')"
)
LINK_NOTE = (
    "INSERT INTO search_outbox (asset_id, urn) SELECT a.id, a.urn FROM assets a "
    "WHERE a.id = {row}.asset_id "
    "OR a.id = (SELECT c.parent_id FROM assets c WHERE c.id = {row}.asset_id)"
)
TERM_COLUMNS = "name, path, definition, synonyms, abbreviations, owner, steward, status, parent_id"


def _tables() -> None:
    op.add_column("search_outbox", sa.Column("kind", sa.String(length=20), nullable=True))
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=2200), nullable=False),
        sa.Column("path_key", sa.String(length=2200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=True),
        sa.Column("synonyms", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("abbreviations", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("examples", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("classifications", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("steward", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["glossary_terms.id"],
            name=op.f("fk_glossary_terms_parent_id_glossary_terms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
        sa.UniqueConstraint("path_key", name=op.f("uq_glossary_terms_path_key")),
    )
    op.create_index(op.f("ix_glossary_terms_parent_id"), "glossary_terms", ["parent_id"])
    op.create_index(op.f("ix_glossary_terms_status"), "glossary_terms", ["status"])
    op.create_table(
        "glossary_term_relations",
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["glossary_terms.id"],
            name=op.f("fk_glossary_term_relations_term_id_glossary_terms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["glossary_terms.id"],
            name=op.f("fk_glossary_term_relations_related_id_glossary_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "term_id", "related_id", "kind", name=op.f("pk_glossary_term_relations")
        ),
    )
    op.create_table(
        "glossary_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_glossary_links_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["glossary_terms.id"],
            name=op.f("fk_glossary_links_term_id_glossary_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_links")),
        sa.UniqueConstraint("term_id", "asset_id", name=op.f("uq_glossary_links_term_id_asset_id")),
    )
    op.create_index(
        op.f("ix_glossary_links_asset_id_status"), "glossary_links", ["asset_id", "status"]
    )
    op.create_index(op.f("ix_glossary_links_status"), "glossary_links", ["status"])


def _sqlite() -> None:
    term_upd = f"AFTER UPDATE OF {TERM_COLUMNS}"
    for name, event, table, body in (
        ("glossary_terms_search_ins", "AFTER INSERT", "glossary_terms", [TERM_NOTE]),
        ("glossary_terms_search_upd", term_upd, "glossary_terms", [TERM_NOTE, LINKED_NOTE]),
        ("glossary_terms_search_del", "BEFORE DELETE", "glossary_terms", [TERM_NOTE, LINKED_NOTE]),
        ("glossary_links_search_ins", "AFTER INSERT", "glossary_links", [LINK_NOTE]),
        ("glossary_links_search_upd", "AFTER UPDATE OF status", "glossary_links", [LINK_NOTE]),
        ("glossary_links_search_del", "AFTER DELETE", "glossary_links", [LINK_NOTE]),
    ):
        row = "OLD" if "DELETE" in event else "NEW"
        sql = "; ".join(b.format(row=row) for b in body)
        op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW BEGIN {sql}; END")


def _postgres() -> None:
    def both(row: str) -> str:
        return f"{TERM_NOTE.format(row=row)}; {LINKED_NOTE.format(row=row)};"

    op.execute(
        f"""
        CREATE FUNCTION sounding_glossary_search_note() RETURNS trigger AS $$
        BEGIN
            IF TG_TABLE_NAME = 'glossary_terms' THEN
                IF TG_OP = 'DELETE' THEN
                    {both("OLD")}
                    RETURN OLD;
                ELSIF TG_OP = 'INSERT' THEN
                    {TERM_NOTE.format(row="NEW")};
                ELSE
                    {both("NEW")}
                END IF;
            ELSIF TG_OP = 'DELETE' THEN
                {LINK_NOTE.format(row="OLD")};
            ELSE
                {LINK_NOTE.format(row="NEW")};
            END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for name, event, table in (
        (
            "glossary_terms_search_chg",
            f"AFTER INSERT OR UPDATE OF {TERM_COLUMNS}",
            "glossary_terms",
        ),
        ("glossary_terms_search_del", "BEFORE DELETE", "glossary_terms"),
        (
            "glossary_links_search_chg",
            "AFTER INSERT OR UPDATE OF status OR DELETE",
            "glossary_links",
        ),
    ):
        op.execute(
            f"CREATE TRIGGER {name} {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sounding_glossary_search_note()"
        )


def upgrade() -> None:
    _tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgres()
    else:
        _sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS glossary_terms_search_chg ON glossary_terms")
        op.execute("DROP TRIGGER IF EXISTS glossary_terms_search_del ON glossary_terms")
        op.execute("DROP TRIGGER IF EXISTS glossary_links_search_chg ON glossary_links")
        op.execute("DROP FUNCTION IF EXISTS sounding_glossary_search_note()")
    else:
        for verb in ("ins", "upd", "del"):
            op.execute(f"DROP TRIGGER IF EXISTS glossary_terms_search_{verb}")
            op.execute(f"DROP TRIGGER IF EXISTS glossary_links_search_{verb}")
    op.drop_table("glossary_links")
    op.drop_table("glossary_term_relations")
    op.drop_table("glossary_terms")
    with op.batch_alter_table("search_outbox") as batch_op:
        batch_op.drop_column("kind")
