"""Alembic revisions of the domains tables (branch ``domains_*``)."""
