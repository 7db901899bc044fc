"""Alembic revisions of the glossary tables (branch ``glossary_*``)."""
