"""Alembic revisions of the custom property tables (branch ``custom_properties_*``)."""
