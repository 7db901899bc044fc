"""The composition root of the services: settings, store, connector registry, secrets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sounding.config import Settings
from sounding.connectors.registry import ConnectorRegistry, default_registry
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

    def close(self) -> None:
        # running scans first (their hooks reach the scheduler), then what they feed
        # usage first: it flushes its buffered counts to the store before anything stops
        for key in ("usage", "scan_runner", "scheduler", "engine", "search", "sql_workers"):
            part = self.extras.pop(key, None)
            if part is not None:  # an EngineHost stops, a ScanRunner shuts down
                (getattr(part, "stop", None) or part.shutdown)()
        self.db.dispose()


def build_context(settings: Settings, *, migrate: bool = True) -> Context:
    """Open the store named by the settings (applying migrations) and wire the services."""
    settings.home.mkdir(parents=True, exist_ok=True)
    db = Database.from_url(settings.resolved_database_url())
    if migrate:
        migrations.upgrade(db.engine)
        with db.write() as conn:
            interrupted = scan_repo.mark_interrupted(conn)
        if interrupted:
            logger.warning("Marked %d interrupted scan(s) as failed", interrupted)
    return Context(settings, db, default_registry(), SecretBox.from_settings(settings))
