"""Alembic revisions of the alerts tables (branch ``alerts_*``)."""
