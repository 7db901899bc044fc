"""Engine creation and the one-writer discipline for the embedded SQLite store.

SQLite runs in WAL mode with foreign keys on; all writes go through ``Database.write()``,
which holds a process-wide lock so the API, scans and (later) the scheduler never fight over
SQLite's write lock (datasette's ``execute_write_fn`` idea). PostgreSQL needs no lock.

A write the store refuses as a whole (a full disk or size cap, a read-only file or database)
is rolled back entirely and raised as ``StoreFullError`` / ``StoreUnavailableError``, which
say so; reads go on working.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sounding.errors import (
    InvalidInputError,
    StoreConnectionLostError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)

logger = logging.getLogger(__name__)


SQLITE_POOL_SIZE, SQLITE_POOL_OVERFLOW = 16, 32
PING_AFTER_IDLE = 0.5
"""Seconds a pooled PostgreSQL connection may sit unused before its next checkout pings it
(HikariCP's ``aliveBypassWindowMs`` is the same idea, 500 ms there too)."""
# SQLite primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``)
_SQLITE_READONLY, _SQLITE_FULL = 8, 13
# PostgreSQL SQLSTATEs
_PG_READ_ONLY, _PG_DISK_FULL = "25006", "53100"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _refuse_unstorable_values(context: sa.engine.ExceptionContext) -> None:
    """The store's driver boundary: a value no store column can hold is the caller's error.

    An integer beyond 64 bits (``OverflowError`` from pysqlite), text with a lone UTF-16
    surrogate (``UnicodeEncodeError``), or a value PostgreSQL rejects as data (a NUL byte, a
    number out of range: ``DataError``) becomes ``InvalidInputError`` naming the problem, so it
    answers 422 instead of failing as an internal error.
    """
    original = context.original_exception
    if isinstance(original, OverflowError):
        raise InvalidInputError(
            "A number is too large to store: integers must be between -2^63 and 2^63-1"
        ) from original
    if isinstance(original, UnicodeEncodeError):
        raise InvalidInputError(
            "Text contains a lone UTF-16 surrogate (such as \\ud800) that cannot be stored: "
            "send valid Unicode text"
        ) from original
    if isinstance(context.sqlalchemy_exception, sa.exc.DataError):
        reason = str(original).splitlines()[0] if str(original) else type(original).__name__
        raise InvalidInputError(f"The store cannot hold a value sent: {reason}") from original


def _size_cap(max_size_mb: int) -> Any:
    """``PRAGMA max_page_count`` on every connection: writes beyond the cap fail as full."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        page_size = cur.execute("PRAGMA page_size").fetchone()[0]
        cur.execute(f"PRAGMA max_page_count={max_size_mb * 1024 * 1024 // int(page_size)}")
        cur.close()

    return on_connect


def store_error(exc: sa.exc.DBAPIError) -> StoreError | None:
    """Our error for a write the store refused as a whole; None for any other failure."""
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    state = getattr(orig, "sqlstate", None)
    reason = str(orig).splitlines()[0] if orig is not None else str(exc)
    if state == _PG_DISK_FULL or (isinstance(code, int) and code & 0xFF == _SQLITE_FULL):
        return StoreFullError(
            f"The metadata store is full ({reason}); nothing of this change was written. "
            "Free disk space (or raise SOUNDING_STORE_MAX_SIZE_MB) and try again",
            reason=reason,
        )
    if state == _PG_READ_ONLY or (isinstance(code, int) and code & 0xFF == _SQLITE_READONLY):
        return StoreUnavailableError(
            f"The metadata store is read-only ({reason}); nothing of this change was written. "
            "Reading still works; make the store writable again to change anything",
            reason=reason,
        )
    return None


LOST_IN_READ = "retry it; if the request sent a change, check whether it was saved first"
LOST_BEFORE_COMMIT = "nothing of this change was written: retry"
LOST_IN_COMMIT = "the change may or may not have been saved: check before sending it again"


def lost_connection(
    exc: sa.exc.DBAPIError, outcome: str = LOST_IN_READ
) -> StoreConnectionLostError | None:
    """Our error for a statement whose connection the database dropped (a restart, a
    failover, a terminated backend: SQLAlchemy has then renewed the pool); None otherwise.
    ``outcome`` tells the caller what became of the work (one of the ``LOST_*`` phrases)."""
    if not exc.connection_invalidated:
        return None
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
    return StoreConnectionLostError(
        f"Lost the connection to the metadata store ({reason}); the next request reconnects; "
        f"{outcome}",
        reason=reason,
    )


def _sqlite_file(parsed: sa.URL) -> Path | None:
    """The file of a SQLite URL (``sqlite:///path`` or ``sqlite:///file:path?uri=true``)."""
    database = parsed.database
    if not database or database == ":memory:":
        return None
    if parsed.query.get("uri") == "true":
        if not database.startswith("file:"):
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def normalize_store_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine(url: str, max_size_mb: int | None = None) -> Engine:
    """An engine for the metadata store (SQLite or PostgreSQL); ``max_size_mb`` caps the size
    of a SQLite store."""
    url = normalize_store_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInputError(f"Invalid SOUNDING_DATABASE_URL {url!r}: {exc}") from exc
    engine = _create_engine(url, parsed, max_size_mb)
    sa.event.listen(engine, "handle_error", _refuse_unstorable_values)
    return engine


def _create_engine(url: str, parsed: sa.engine.URL, max_size_mb: int | None) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            owner_only(path)
        # the pool keeps as many connections as the server's busy threads use at once: the
        # default 5 closed and reopened connections (and re-ran the pragmas) on every
        # request under load (issue 20)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=False,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_OVERFLOW,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        if max_size_mb:
            sa.event.listen(engine, "connect", _size_cap(max_size_mb))
        # let SQLAlchemy, not pysqlite, manage transactions (so BEGIN IMMEDIATE works)
        sa.event.listen(engine, "connect", _disable_pysqlite_begin)
        sa.event.listen(engine, "begin", _begin_immediate)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InvalidInputError(
            f"Unsupported metadata store {parsed.get_backend_name()!r}: use sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        )
    engine = sa.create_engine(url, pool_size=10, max_overflow=20)
    sa.event.listen(engine, "checkin", _mark_idle)
    sa.event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


def _mark_idle(dbapi_connection: Any, record: Any) -> None:
    record.info["sounding_idle_since"] = time.monotonic()


def _ping_if_idle(dialect: sa.Dialect) -> Any:
    """A pool ``checkout`` listener: ping a connection that sat unused for more than
    :data:`PING_AFTER_IDLE` seconds, and have the pool replace it if the server is gone.

    ``pool_pre_ping`` pinged on every checkout: a round trip per request, 6 % of a server's
    CPU under load on PostgreSQL (issue 20). A connection used less than half a second ago was
    alive then; one the database dropped since (a restart) fails its next statement, which
    SQLAlchemy recognizes as a disconnect and answers by replacing every pooled connection, so
    at most the requests in flight at that moment see the error, as they would with a ping."""

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("sounding_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        # what pool_pre_ping does on a failed ping: replace every connection pooled before now
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa.exc.InvalidatePoolError(str(exc)) from exc
            raise

    return checkout


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
        # reads on PostgreSQL run in autocommit: under its READ COMMITTED default each
        # statement takes its own snapshot inside a transaction anyway, so a read's BEGIN and
        # ROLLBACK were two round trips per request that bought nothing (issue 20). The
        # engine shares the pool and events; the connection's mode is reset when it returns.
        self._read_engine = (
            engine if self.is_sqlite else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._write_lock = threading.RLock()
        self._loop_conn: Any = None  # the event loop's own SQLite connection (read_one_now)
        self._loop_owner: int | None = None
        self._raw: dict[sa.Select[Any], _RawSelect] = {}

    @classmethod
    def from_url(cls, url: str, max_size_mb: int | None = None) -> Database:
        return cls(create_engine(url, max_size_mb))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self._read_engine.connect() as conn:
                yield conn
                if conn.in_transaction():
                    conn.rollback()
        except sa.exc.DBAPIError as exc:
            lost = lost_connection(exc)
            if lost is None:
                raise
            raise lost from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; committed on success, rolled back on error. A write the
        store refuses as a whole raises ``StoreFullError`` or ``StoreUnavailableError``."""
        with self._write_lock, self.engine.connect() as conn:
            if self.is_sqlite:
                conn.info["sounding_begin"] = "IMMEDIATE"
            committing = False
            try:
                with conn.begin():
                    yield conn
                    committing = True  # what fails from here on failed in COMMIT
            except sa.exc.DBAPIError as exc:
                outcome = LOST_IN_COMMIT if committing else LOST_BEFORE_COMMIT
                refused = store_error(exc) or lost_connection(exc, outcome)
                if refused is None:
                    raise
                logger.warning("The store refused a write: %s", refused.details["reason"])
                raise refused from exc
            finally:
                conn.info.pop("sounding_begin", None)

    def read_one_now(
        self, statement: sa.Select[Any], params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The first row of ``statement`` (a SELECT of plain columns), read on one SQLite
        connection kept for the calling thread — the API's event loop — in autocommit mode:
        each call sees the store as committed at that moment, like a read transaction, but
        without a pool checkout, a BEGIN and a ROLLBACK around one indexed lookup, which under
        load cost more than the lookup (issue 20). SQLite only, and one thread only: other
        threads and stores use :meth:`read`."""
        if not self.is_sqlite:
            raise RuntimeError("read_one_now is for the SQLite store; use read()")
        owner = threading.get_ident()
        if self._loop_conn is None:
            self._loop_conn = self.engine.raw_connection()
            self._loop_owner = owner
        elif self._loop_owner != owner:
            raise RuntimeError("read_one_now is for one thread (the event loop); use read()")
        raw = self._raw.get(statement)
        if raw is None:
            raw = self._raw[statement] = _RawSelect(statement, self.engine.dialect)
        return raw.first(self._loop_conn.driver_connection, params)

    def dispose(self) -> None:
        if self._loop_conn is not None:
            conn, self._loop_conn = self._loop_conn, None
            conn.close()
        self.engine.dispose()


class _RawSelect:
    """A SELECT compiled once to its SQL text, with its binds' and columns' type processing
    (through the public ``bind_processor``/``result_processor`` of each type), run on a
    DB-API connection directly."""

    def __init__(self, statement: sa.Select[Any], dialect: sa.engine.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.defaults = compiled.params
        self.names = list(compiled.positiontup or ())
        self.binds = {
            name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        }
        columns = list(statement.selected_columns)
        self.keys = [str(column.key) for column in columns]
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]

    def first(self, dbapi_conn: Any, params: dict[str, Any]) -> dict[str, Any] | None:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            bind = self.binds[name]
            values.append(bind(value) if bind is not None else value)
        cursor = dbapi_conn.execute(self.sql, values)
        try:  # closed at once: an open statement would hold its read snapshot
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return {
            key: (process(value) if process is not None else value)
            for key, process, value in zip(self.keys, self.results, row, strict=True)
        }
