"""Alembic revisions of the tag taxonomy tables (branch ``tag_taxonomy_*``)."""
