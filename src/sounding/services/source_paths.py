"""Which local paths may be registered as a source (SQLite or DuckDB file, folder of files).

A source on this machine is read by the server with the server's rights, and its values are
shown to every viewer. So a source may not be the metadata store (profiles, token hashes),
``SOUNDING_HOME`` (the store and the secret key that decrypts every source credential), a
folder that contains either, or a system path (``/etc``, ``/proc``...). When the operator
sets ``SOUNDING_FILE_SOURCE_ROOTS``, local sources must also lie under one of those folders.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sounding.config import Settings
from sounding.connectors.base import ConnectorFactory, LocalSourceFactory
from sounding.errors import InvalidInputError
from sounding.services.secrets import KEY_FILE

logger = logging.getLogger(__name__)

# system folders: never a source, nor a folder that holds one of them ("/", "/var")
SYSTEM_PATHS = tuple(
    Path(p)
    for p in (
        "/etc",
        "/proc",
        "/sys",
        "/dev",
        "/boot",
        "/root",
        "/run",
        "/var/run",
        "/var/lib",
        "/var/log",
        "/var/spool",
        "/var/mail",
        "/var/backups",
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib64",
        "/snap",
    )
)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _store_files(settings: Settings) -> list[Path]:
    home = settings.home.expanduser().resolve()
    files = [home / KEY_FILE]
    url = settings.resolved_database_url()
    if url.startswith("sqlite:///"):
        db = Path(url[len("sqlite:///") :]).expanduser().resolve()
        files += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return files


def refusal(settings: Settings, path: Path) -> str | None:
    """Why ``path`` may not be a source, or None when it may."""
    home = settings.home.expanduser().resolve()
    if _within(home, path):
        return f"it is SOUNDING_HOME ({home}) or a folder that contains it"
    for private in _store_files(settings):
        if _within(private, path):
            return f"it is or contains Sounding's own store or secret key ({private})"
    for system in SYSTEM_PATHS:
        if _within(path, system) or _within(system, path):
            return f"it is or contains the system path {system}"
    roots = settings.file_source_root_paths()
    if roots and not any(_within(path, root) for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        return f"it is outside the folders SOUNDING_FILE_SOURCE_ROOTS allows ({allowed})"
    return None


def check_local_paths(settings: Settings, factory: ConnectorFactory, url: str) -> None:
    """Raise InvalidInputError (422) when a source URL names a local path it may not read."""
    if not isinstance(factory, LocalSourceFactory):
        return
    for path in factory.local_paths(url):
        reason = refusal(settings, path)
        if reason is not None:
            raise InvalidInputError(
                f"Cannot register {path} as a source: {reason}", field="url", path=str(path)
            )
