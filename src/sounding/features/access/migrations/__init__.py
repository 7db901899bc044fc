"""Alembic revisions of the access tables (branch ``access_*``)."""
