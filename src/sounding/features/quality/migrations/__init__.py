"""Alembic revisions of the quality tables (branch ``quality_*``; found by the store, see
``sounding.store.migrations.locations``)."""
