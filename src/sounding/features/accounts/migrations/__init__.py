"""Alembic revisions of the accounts tables (branch ``accounts_*``; ``users`` and
``api_tokens`` themselves were created by the initial schema, ``0001``)."""
