"""The SQLAlchemy engine of a SQL source, with its time limits (see ``deadlines``).

- SQLite: opened read-only; a watchdog interrupts a statement at the deadline.
- PostgreSQL: ``statement_timeout`` on the server, TCP keepalives and ``tcp_user_timeout``
  for a peer that vanished, and a watchdog that shuts the socket down shortly after the
  server's own limit, for a server that answers nothing at all.
- MariaDB/MySQL: ``max_statement_time`` (MariaDB) or ``max_execution_time`` (MySQL) on the
  server, and PyMySQL's ``read_timeout``/``write_timeout`` on the socket.

:func:`timeout_kind` tells a timed-out statement's driver error apart from other errors.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

import sqlalchemy as sa

from sounding.connectors.base import SourceConfig
from sounding.connectors.deadlines import (
    TIMED_OUT,
    WATCHDOG,
    Watch,
    client_deadline,
    shutdown_socket,
    whole_seconds,
)

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
_WATCH = "sounding_watch"

# driver error codes of a statement the engine cancelled for running too long
_PG_QUERY_CANCELED = "57014"
_MYSQL_TIMEOUT_CODES = frozenset({1969, 3024})  # MariaDB max_statement_time, MySQL's
_MYSQL_LOST = 2013  # "Lost connection ... (timed out)": PyMySQL's read_timeout


def sqlite_regexp(pattern: str | None, value: object) -> bool | None:
    """``value REGEXP pattern`` for SQLite, which has the operator but no function behind
    it: ``re.search`` semantics, like PostgreSQL's ``~`` and MySQL's ``REGEXP``."""
    if pattern is None or value is None:
        return None
    return re.search(pattern, value if isinstance(value, str) else str(value)) is not None


def create_source_engine(url: sa.URL, config: SourceConfig) -> sa.Engine:
    connect = float(config.options.get("connect_timeout", CONNECT_TIMEOUT_SECONDS))
    timeout = config.statement_timeout
    backend = url.get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(url, connect)
        _watch_statements(engine, timeout, _interrupt)
        return engine
    if backend == "postgresql":
        connect_args: dict[str, Any] = {
            "connect_timeout": max(2, math.ceil(connect)),  # libpq reads whole seconds, >= 2
            "application_name": "sounding",
            "keepalives": 1,
            "keepalives_idle": whole_seconds(min(timeout, 30)),
            "keepalives_interval": whole_seconds(min(timeout, 10) / 3),
            "keepalives_count": 3,
            "tcp_user_timeout": math.ceil(client_deadline(timeout) * 1000),
        }
        engine = sa.create_engine(url, connect_args=connect_args, pool_size=2, max_overflow=2)
        _watch_statements(engine, client_deadline(timeout), _shutdown)
        _watch_dialect(engine.dialect, client_deadline(timeout), _shutdown)
        sa.event.listen(engine, "connect", _pg_statement_limit(timeout))
        return engine
    connect_args = {
        "connect_timeout": whole_seconds(connect),
        "read_timeout": client_deadline(timeout),
        "write_timeout": client_deadline(timeout),
        "charset": "utf8mb4",
    }
    engine = sa.create_engine(url, connect_args=connect_args, pool_size=2, max_overflow=2)
    sa.event.listen(engine, "connect", _mysql_statement_limit(timeout))
    return engine


def _sqlite_engine(url: sa.URL, connect_timeout: float) -> sa.Engine:
    path = Path(url.database or "").expanduser().resolve()
    uri = f"file:{url_quote(str(path))}?mode=ro"

    def connect() -> sqlite3.Connection:
        if not path.is_file():
            raise sqlite3.OperationalError(f"database file {path} does not exist")
        conn = sqlite3.connect(uri, uri=True, timeout=connect_timeout, check_same_thread=False)
        # no ATTACH: it would create the named file (mode=ro covers the source file only)
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.create_function("regexp", 2, sqlite_regexp, deterministic=True)
        return conn

    return sa.create_engine("sqlite+pysqlite://", creator=connect, poolclass=sa.NullPool)


def _interrupt(dbapi_conn: Any) -> None:
    dbapi_conn.interrupt()


def _shutdown(dbapi_conn: Any) -> None:
    shutdown_socket(dbapi_conn.fileno())


def _pg_statement_limit(timeout: float) -> Any:
    """``SET statement_timeout`` on each new connection (not a startup ``options``
    parameter, which poolers such as PgBouncer refuse), itself under a deadline."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        with WATCHDOG.watch(client_deadline(timeout), lambda: _shutdown(dbapi_conn)):
            dbapi_conn.execute(f"SET statement_timeout = {math.ceil(timeout * 1000)}")
            dbapi_conn.commit()

    return on_connect


def _mysql_statement_limit(timeout: float) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        mariadb = "mariadb" in str(dbapi_conn.get_server_info()).lower()
        with dbapi_conn.cursor() as cur:
            if mariadb:
                cur.execute("SET SESSION max_statement_time = %s", (timeout,))
            else:  # MySQL limits SELECTs only, in milliseconds
                cur.execute("SET SESSION max_execution_time = %s", (math.ceil(timeout * 1000),))

    return on_connect


def _watch_statements(engine: sa.Engine, seconds: float, abort: Any) -> None:
    """Arm a watchdog around every statement; on expiry ``abort(dbapi connection)``."""

    def before(conn: sa.Connection, cursor: Any, *_args: Any) -> None:
        dbapi_conn = cursor.connection
        conn.info[_WATCH] = WATCHDOG.arm(seconds, lambda: abort(dbapi_conn))

    def after(conn: sa.Connection, *_args: Any) -> None:
        watch: Watch | None = conn.info.pop(_WATCH, None)
        if watch is not None:
            WATCHDOG.disarm(watch)

    def on_error(context: sa.engine.ExceptionContext) -> None:
        conn = context.connection
        watch: Watch | None = conn.info.pop(_WATCH, None) if conn is not None else None
        if watch is not None and WATCHDOG.disarm(watch):
            setattr(context.original_exception, TIMED_OUT, True)

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    sa.event.listen(engine, "handle_error", on_error)


def _watch_dialect(dialect: Any, seconds: float, abort: Any) -> None:
    """Deadlines on what talks to the server without a statement event: COMMIT and ROLLBACK
    (also the pool's rollback when a connection is returned) and the dialect's first-connect
    queries. Without them a frozen server would hang a task as it finished."""

    def watched(call: Any, raw: Any) -> Any:
        def run(*args: Any) -> Any:
            dbapi_conn = raw(args[0])
            with WATCHDOG.watch(seconds, lambda: abort(dbapi_conn)) as watch:
                try:
                    return call(*args)
                except Exception as exc:
                    if watch.fired:
                        setattr(exc, TIMED_OUT, True)
                    raise

        return run

    def fairy(conn: Any) -> Any:  # a pooled connection proxy, or the driver's own
        return getattr(conn, "dbapi_connection", conn)

    def of_sa(conn: sa.Connection) -> Any:
        return conn.connection.dbapi_connection

    dialect.do_rollback = watched(dialect.do_rollback, fairy)
    dialect.do_commit = watched(dialect.do_commit, fairy)
    dialect.initialize = watched(dialect.initialize, of_sa)


def timeout_kind(exc: BaseException) -> bool | None:
    """None if ``exc`` is not a timed-out statement; else whether the engine answered (it
    cancelled the statement: True) or nothing came back and the client gave up (False)."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if orig is None:
        return None
    if getattr(orig, TIMED_OUT, False):
        # SQLite is local: an interrupted statement was running, only slowly
        return isinstance(orig, sqlite3.Error)
    if getattr(orig, "sqlstate", None) == _PG_QUERY_CANCELED:
        return True
    args = getattr(orig, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    if code in _MYSQL_TIMEOUT_CODES:
        return True
    if code == _MYSQL_LOST and "timed out" in str(orig):
        return False
    return None
