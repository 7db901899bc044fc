"""Alembic revisions of the insights tables (branch ``insights_*``)."""
