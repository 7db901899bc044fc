"""Backing up and restoring a SQLite store, and checking a store's schema.

``backup`` copies ``sounding.db`` with SQLite's online backup API in one step: the copy is
one read transaction, so it is consistent, and in WAL mode it does not block the server's
writers. The archive (``.tar.gz``) holds the copy, a ``manifest.json`` (Sounding version,
migration heads, time) and, only when asked, the secret key. A PostgreSQL store is backed up
with ``pg_dump`` (docs/operations.md, "Backup and restore").
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from sounding import __version__
from sounding.config import Settings
from sounding.errors import InvalidInputError
from sounding.services.secrets import KEY_FILE
from sounding.store import migrations
from sounding.store.db import _sqlite_file, create_engine, normalize_store_url

DB_MEMBER, MANIFEST_MEMBER, KEY_MEMBER = "sounding.db", "manifest.json", KEY_FILE
SUFFIXES = (".tar.gz", ".tgz")
POSTGRES_HINT = (
    "is on PostgreSQL: back it up with `pg_dump --format=custom` and restore it with "
    "`pg_restore` (docs/operations.md, 'Backup and restore')"
)


@dataclass(frozen=True)
class Manifest:
    sounding_version: str
    migration_heads: list[str]
    created_at: str
    includes_secret_key: bool


@dataclass(frozen=True)
class SchemaStatus:
    """Whether a store is at this Sounding's migration heads."""

    pending: list[str]
    unknown: list[str]

    @property
    def current(self) -> bool:
        return not self.pending and not self.unknown


def schema_status(settings: Settings) -> SchemaStatus:
    url = normalize_store_url(settings.resolved_database_url())
    parsed = sa.engine.make_url(url)
    path = _sqlite_file(parsed) if parsed.get_backend_name() == "sqlite" else None
    # a store not created yet is not created by checking it: every migration is pending
    engine = sa.create_engine("sqlite://" if path and not path.exists() else url)
    try:
        todo, unknown = migrations.pending(engine)
    finally:
        engine.dispose()
    return SchemaStatus(todo, unknown)


def upgrade_store(settings: Settings) -> list[str]:
    """Migrate the store to the heads; the revisions applied (none when already current)."""
    engine = create_engine(settings.resolved_database_url(), settings.store_max_size_mb)
    try:
        if migrations.is_current(engine):  # records exactly our heads: no Alembic to load
            return []
        todo, unknown = migrations.pending(engine)
        if unknown:
            raise InvalidInputError(
                f"The store records migrations this Sounding ({__version__}) does not know: "
                f"{', '.join(unknown)}; it was written by a newer release"
            )
        return migrations.upgrade_reporting(engine, todo)
    finally:
        engine.dispose()


def _sqlite_store(settings: Settings, doing: str) -> Path:
    url = sa.engine.make_url(normalize_store_url(settings.resolved_database_url()))
    if url.get_backend_name() == "postgresql":
        raise InvalidInputError(f"Cannot {doing}: the store {POSTGRES_HINT}")
    path = _sqlite_file(url)
    if url.get_backend_name() != "sqlite" or path is None:
        raise InvalidInputError(f"Cannot {doing}: the store is not a SQLite file")
    return path


def _check_archive_name(path: Path) -> None:
    if not path.name.endswith(SUFFIXES):
        raise InvalidInputError(f"{path}: a backup file's name ends in .tar.gz or .tgz")


def backup(settings: Settings, target: Path, *, include_secret_key: bool = False) -> Manifest:
    """Write a consistent copy of the SQLite store (and its manifest) to ``target``."""
    db = _sqlite_store(settings, "back up")
    _check_archive_name(target)
    if not db.exists():
        raise InvalidInputError(f"Cannot back up: there is no store at {db}")
    if target.exists():
        raise InvalidInputError(f"{target} already exists: choose a new file name")
    if not target.parent.is_dir():
        raise InvalidInputError(f"Cannot write {target}: {target.parent} is not a directory")
    key: bytes | None = None
    if include_secret_key:
        if settings.secret_key is not None:
            key = settings.secret_key.get_secret_value().encode()
        elif (settings.home / KEY_FILE).exists():
            key = (settings.home / KEY_FILE).read_bytes().strip()
        else:
            raise InvalidInputError("--include-secret-key: this store has no secret key yet")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".sounding-backup-") as tmp:
        copy = Path(tmp) / DB_MEMBER
        source = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        dest = sqlite3.connect(copy)
        try:
            source.backup(dest)  # all pages in one step: one read transaction, consistent
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dest.close()
            source.close()
        heads = sorted(_stored_heads(copy))
        manifest = Manifest(
            __version__, heads, datetime.now(UTC).isoformat(timespec="seconds"), key is not None
        )
        partial = Path(tmp) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST_MEMBER, json.dumps(manifest.__dict__, indent=2).encode())
            tar.add(copy, arcname=DB_MEMBER)
            if key is not None:
                _add_bytes(tar, KEY_MEMBER, key)
        os.chmod(partial, 0o600)  # it holds profile values and token hashes
        os.replace(partial, target)
    return manifest


def _stored_heads(db: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        return migrations.stored_revisions(engine)
    finally:
        engine.dispose()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def read_manifest(archive: Path) -> Manifest:
    _check_archive_name(archive)
    if not archive.is_file():
        raise InvalidInputError(f"{archive}: no such backup file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = set(tar.getnames())
            if not {DB_MEMBER, MANIFEST_MEMBER} <= names:
                raise InvalidInputError(
                    f"{archive} is not a Sounding backup: it lacks {DB_MEMBER} or {MANIFEST_MEMBER}"
                )
            member = tar.extractfile(MANIFEST_MEMBER)
            if member is None:
                raise InvalidInputError(f"{archive}: its manifest is not a file")
            data = json.loads(member.read())
        return Manifest(
            str(data["sounding_version"]),
            [str(h) for h in data["migration_heads"]],
            str(data["created_at"]),
            bool(data["includes_secret_key"]),
        )
    except (tarfile.TarError, OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{archive} is not a readable Sounding backup: {exc}") from exc


def restore(settings: Settings, archive: Path, *, force: bool = False) -> Manifest:
    """Put the store (and the secret key, if the backup has it) of ``archive`` into the home.

    An existing store or a non-empty home is refused unless ``force``; with ``force`` the
    store file (and the key, when the backup holds one) are replaced."""
    manifest = read_manifest(archive)
    db = _sqlite_store(settings, "restore")
    home = settings.home
    if not force and (db.exists() or (home.is_dir() and any(home.iterdir()))):
        where = f"{db} already holds a store" if db.exists() else f"{home} is not empty"
        raise InvalidInputError(f"Refusing to restore: {where} (use --force to replace its store)")
    db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=db.parent, prefix=".sounding-restore-") as tmp:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extract(DB_MEMBER, tmp, filter="data")
            if manifest.includes_secret_key:
                tar.extract(KEY_MEMBER, tmp, filter="data")
        extracted = Path(tmp) / DB_MEMBER
        with sqlite3.connect(extracted) as check:
            row = check.execute("PRAGMA integrity_check").fetchone()
        if row is None or row[0] != "ok":
            raise InvalidInputError(f"{archive}: its store copy is damaged ({row})")
        os.chmod(extracted, 0o600)
        for stale in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
        os.replace(extracted, db)
        if manifest.includes_secret_key:
            key = Path(tmp) / KEY_MEMBER
            os.chmod(key, 0o600)
            shutil.move(key, home / KEY_FILE)
    return manifest
