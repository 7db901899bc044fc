"""Alembic migrations, applied programmatically by ``upgrade(engine)``."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the store's schema to ``revision`` (idempotent).

    Each area (catalog, lineage, classification, orchestration, search) adds its tables as its
    own branch of revisions off ``0001``, so areas evolve independently; ``heads`` applies all.
    """
    command.upgrade(alembic_config(engine), revision)


def heads(engine: Engine) -> set[str]:
    """The revision ids that ``upgrade`` brings a store to."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
