"""Alembic revisions of the collections tables (branch ``collections_*``)."""
