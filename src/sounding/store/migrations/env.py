"""Alembic environment: runs online against the engine handed over by ``upgrade()``."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy.engine import Engine

from sounding.store import (  # noqa: F401 (their tables join the metadata)
    tables_changes,
    tables_delivery,
    tables_events,
    tables_lineage,
    tables_orchestration,
    tables_scanning,
    tables_search,
)
from sounding.store.migrations import locations
from sounding.store.tables import metadata

# each feature with migrations has a ``tables`` module; importing it adds its tables to the
# metadata (a script Alembic runs, not a module the store imports: the features stay above)
for folder in locations()[1:]:
    importlib.import_module(f"sounding.features.{folder.parent.name}.tables")

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
