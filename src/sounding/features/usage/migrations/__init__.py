"""Alembic revisions of the usage tables (branch ``usage_*``)."""
