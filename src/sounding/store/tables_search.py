"""The search outbox: database triggers note every asset change the search index must see.

Triggers (created by the ``search_0001`` migration for SQLite and PostgreSQL) insert the id
of every inserted, deleted or meaningfully updated asset, and of every column whose labels
changed, in the same transaction as the change itself, so no code path can forget to tell
the index. The search service applies pending entries before it answers a query.
"""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import metadata

search_outbox = sa.Table(
    "search_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.Integer, nullable=False),  # no FK: deleted assets are noted too
    sa.Column("urn", sa.String(2000)),  # kept so a hard-deleted asset can leave the index
    # NULL: an asset; "glossary_term": ``asset_id`` holds a glossary term id (glossary_0001)
    sa.Column("kind", sa.String(20)),
)

# what a search document is made of: an UPDATE touching only other columns (last_seen,
# row counts, fingerprints) does not need reindexing
INDEXED_COLUMNS = (
    "name",
    "qualified_name",
    "description",
    "tags",
    "owner",
    "steward",
    "domain",
    "criticality",
    "lifecycle",
    "deleted_at",
    "data_type",
    "source_properties",
    "parent_id",
    "custom_properties",
)
