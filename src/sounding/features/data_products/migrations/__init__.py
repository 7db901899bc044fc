"""Alembic revisions of the data products tables (branch ``data_products_*``)."""
