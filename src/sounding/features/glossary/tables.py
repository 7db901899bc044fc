"""The business glossary: terms in a hierarchy, relations between terms, links to assets."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata, row_version

glossary_terms = sa.Table(
    "glossary_terms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.ForeignKey("glossary_terms.id", ondelete="RESTRICT")),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("path", sa.String(2200), nullable=False),
    sa.Column("path_key", sa.String(2200), nullable=False, unique=True),  # case-folded path
    sa.Column("definition", sa.Text),
    sa.Column("synonyms", JSONType, nullable=False, default=list),
    sa.Column("abbreviations", JSONType, nullable=False, default=list),
    sa.Column("examples", JSONType, nullable=False, default=list),
    sa.Column("classifications", JSONType, nullable=False, default=list),
    sa.Column("owner", sa.String(200)),
    sa.Column("steward", sa.String(200)),
    sa.Column("status", sa.String(20), nullable=False),  # draft | approved | deprecated
    sa.Column("approved_by", sa.String(200)),
    sa.Column("approved_at", TS),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
    sa.Index(None, "parent_id"),
    sa.Index(None, "status"),
)

# symmetric relations are stored once per direction, so either term lists the other
glossary_term_relations = sa.Table(
    "glossary_term_relations",
    metadata,
    sa.Column("term_id", sa.ForeignKey("glossary_terms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "related_id", sa.ForeignKey("glossary_terms.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("kind", sa.String(30), primary_key=True),  # related
)

glossary_links = sa.Table(
    "glossary_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("term_id", sa.ForeignKey("glossary_terms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # suggested | accepted | rejected
    sa.Column("confidence", sa.Float),
    sa.Column("reasons", JSONType, nullable=False, default=list),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", TS),
    sa.UniqueConstraint("term_id", "asset_id"),
    sa.Index(None, "asset_id", "status"),
    sa.Index(None, "status"),
)
