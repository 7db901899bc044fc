"""Alembic environment: runs online against the engine handed over by ``upgrade()``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from sounding.store import (  # noqa: F401 (their tables join the metadata)
    tables_changes,
    tables_compliance,
    tables_glossary,
    tables_insights,
    tables_lineage,
    tables_orchestration,
    tables_quality,
    tables_scanning,
    tables_search,
    tables_usage,
)
from sounding.store.tables import metadata

config = context.config
engine: Engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
