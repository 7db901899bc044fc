"""Alembic revisions of the compliance tables (branch ``compliance_*``)."""
