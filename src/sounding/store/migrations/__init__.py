"""Alembic migrations, applied programmatically by ``upgrade(engine)``.

Every command opens the store through ``upgrade``; on a store already at the heads it must
cost milliseconds, not Alembic's import. ``declared_heads`` reads the heads from the version
files' literal ``revision`` / ``down_revision`` assignments (as Alembic writes them), and
``upgrade`` skips Alembic when the store records exactly those; anything it cannot read that
way falls back to Alembic.

The revisions live in ``versions/`` (the catalog and the engines) and in each feature package's
``migrations/`` folder (``sounding/features/<name>/migrations``, :func:`locations`): a feature
brings its tables' history with it, and the revision ids stay what they were, so a store made
before the features became packages upgrades as before. The store finds those folders on disk
by that convention; it imports no feature.
"""

from __future__ import annotations

import ast
import functools
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FEATURES = HERE.parents[1] / "features"  # sounding/features


def locations() -> list[Path]:
    """Every folder of revisions: ``versions/`` and each feature's ``migrations/``."""
    return [HERE / "versions", *sorted(p.parent for p in FEATURES.glob("*/migrations/__init__.py"))]


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations()))
    cfg.attributes["engine"] = engine
    return cfg


def _literal_assignments(path: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            out[target.id] = ast.literal_eval(value)
    return out


@functools.cache
def declared_heads() -> frozenset[str] | None:
    """The head revisions, from the version files without importing Alembic; ``None`` when a
    file does not spell its revisions as literals. Read once per process (parsing the 65
    files took 40 ms, and opening a new store asked three times)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(p for folder in locations() for p in folder.glob("*.py")):
        if path.name == "__init__.py":
            continue
        try:
            values = _literal_assignments(path)
        except (SyntaxError, ValueError):
            return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(d) for d in down)
        elif down is not None:
            return None
    return frozenset(revisions - parents)


def is_current(engine: Engine) -> bool:
    """Whether the store records exactly the declared heads (so ``upgrade`` has nothing to do)."""
    wanted = declared_heads()
    if not wanted:
        return False
    try:
        with engine.connect() as conn:
            stored = set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except SQLAlchemyError:  # no store yet, or no version table: Alembic creates it
        return False
    return stored == wanted


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the store's schema to ``revision`` (idempotent).

    Each area (catalog, lineage, classification, orchestration, search) adds its tables as its
    own branch of revisions off ``0001``, so areas evolve independently; ``heads`` applies all.
    """
    if revision == "heads" and is_current(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def heads(engine: Engine) -> set[str]:
    """The revision ids that ``upgrade`` brings a store to."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions the store records (empty for a new store)."""
    try:
        with engine.connect() as conn:
            return set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except SQLAlchemyError:  # no store yet, or no version table
        return set()


def pending(engine: Engine) -> tuple[list[str], list[str]]:
    """What ``upgrade`` would apply to this store, without changing it: the pending revisions
    (oldest first) and the revisions the store records that this Sounding does not know (a
    store written by a newer release)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    stored = stored_revisions(engine)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(stored - known)
    applied = {
        rev.revision
        for rev in script.revision_map.iterate_revisions(
            tuple(stored & known), "base", inclusive=True
        )
        if rev is not None
    }
    order = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    return [r for r in order if r not in applied], unknown


def upgrade_reporting(engine: Engine, todo: list[str] | None = None) -> list[str]:
    """``upgrade`` to the heads, returning the revisions it applied (oldest first); ``todo``
    is :func:`pending`'s list when the caller has it already (each call loads every revision
    script)."""
    if is_current(engine):
        return []
    if todo is None:
        todo, _unknown = pending(engine)
    upgrade(engine)
    if todo:
        logger.info("Applied migrations: %s", ", ".join(todo))
    return todo
