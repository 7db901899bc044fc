"""Engine creation and the one-writer discipline for the embedded SQLite store.

SQLite runs in WAL mode with foreign keys on; all writes go through ``Database.write()``,
which holds a process-wide lock so the API, scans and (later) the scheduler never fight over
SQLite's write lock (datasette's ``execute_write_fn`` idea). PostgreSQL needs no lock.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sounding.errors import InvalidInputError

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def normalize_store_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine(url: str) -> Engine:
    """An engine for the metadata store (SQLite or PostgreSQL)."""
    url = normalize_store_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInputError(f"Invalid SOUNDING_DATABASE_URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            owner_only(Path(parsed.database))
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=False
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # let SQLAlchemy, not pysqlite, manage transactions (so BEGIN IMMEDIATE works)
        sa.event.listen(engine, "connect", _disable_pysqlite_begin)
        sa.event.listen(engine, "begin", _begin_immediate)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InvalidInputError(
            f"Unsupported metadata store {parsed.get_backend_name()!r}: use sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        )
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def owner_only(db: Path) -> None:
    """Create the SQLite store file readable by its owner only (0600) before SQLite opens it:
    it holds profile values and token hashes. SQLite gives its -wal and -shm files the mode
    of the database file; an existing store and its files are tightened the same way."""
    if not db.exists():
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        try:
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
                logger.info("Made %s readable by its owner only (0600)", path)
        except PermissionError:  # not ours: say so, the store still works
            logger.warning("Cannot make %s owner-only: not its owner", path)


def _disable_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Connection) -> None:
    mode = conn.info.get("sounding_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The metadata store: an engine plus read and write transaction helpers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = threading.RLock()

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_engine(url))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn
            if conn.in_transaction():
                conn.rollback()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; committed on success, rolled back on error."""
        with self._write_lock, self.engine.connect() as conn:
            if self.is_sqlite:
                conn.info["sounding_begin"] = "IMMEDIATE"
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("sounding_begin", None)

    def dispose(self) -> None:
        self.engine.dispose()
