"""The composition root of the services: settings, store, connector registry, secrets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sounding.config import Settings
from sounding.connectors.registry import ConnectorRegistry, default_registry
from sounding.errors import StoreError
from sounding.services.secrets import SecretBox
from sounding.store import migrations
from sounding.store.db import Database
from sounding.store.repos import scans as scan_repo

logger = logging.getLogger(__name__)


@dataclass
class Context:
    settings: Settings
    db: Database
    registry: ConnectorRegistry
    secrets: SecretBox
    extras: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop what runs in the background (scheduler, engine and the scans it runs),
        keeping the store open; parts start again on next use. The server calls it when it
        shuts down."""
        # usage first: it flushes its buffered counts to the store before anything stops
        for key in ("usage", "scheduler", "engine", "search", "sql_workers"):
            part = self.extras.pop(key, None)
            if part is not None:
                (getattr(part, "stop", None) or part.shutdown)()

    def close(self) -> None:
        self.stop()
        self.db.dispose()


def secure_home(home: Path) -> None:
    """Create ``SOUNDING_HOME`` for its owner only (0700): it holds the store and the key that
    decrypts every source credential. An existing home open to others is tightened."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if home.stat().st_mode & 0o077:
            home.chmod(0o700)
            logger.info("Made %s accessible by its owner only (0700)", home)
    except PermissionError:
        logger.warning("Cannot make %s owner-only: not its owner", home)


def build_context(settings: Settings, *, migrate: bool = True) -> Context:
    """Open the store named by the settings (applying migrations) and wire the services."""
    secure_home(settings.home)
    db = Database.from_url(settings.resolved_database_url(), settings.store_max_size_mb)
    if migrate:
        migrations.upgrade(db.engine)
        try:
            with db.write() as conn:
                interrupted = scan_repo.mark_interrupted(conn)
        except StoreError as exc:  # read-only or full: serve reads, refuse writes clearly
            logger.warning("Starting on a store that refuses writes: %s", exc.message)
            interrupted = 0
        if interrupted:
            logger.warning("Marked %d interrupted scan(s) as failed", interrupted)
    return Context(settings, db, default_registry(), SecretBox.from_settings(settings))
