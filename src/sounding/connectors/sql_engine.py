"""What every SQL source's engine shares for its time limits (see ``deadlines``).

Each backend opens its own engine (its ``SqlBackend.engine``, in its module) with these:

- SQLite: opened read-only; a watchdog interrupts a statement at the deadline.
- PostgreSQL: ``statement_timeout`` on the server, TCP keepalives and ``tcp_user_timeout``
  for a peer that vanished, and a watchdog that shuts the socket down shortly after the
  server's own limit, for a server that answers nothing at all.
- MariaDB/MySQL: ``max_statement_time`` (MariaDB) or ``max_execution_time`` (MySQL) on the
  server, and PyMySQL's ``read_timeout``/``write_timeout`` on the socket.

``SqlBackend.timeout_kind`` tells a timed-out statement's driver error apart from other errors
(the watchdog marks what it interrupted; each backend knows its own error codes).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from sounding.connectors.base import SourceConfig
from sounding.connectors.deadlines import TIMED_OUT, WATCHDOG, Watch, shutdown_socket

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
_WATCH = "sounding_watch"


def connect_timeout(config: SourceConfig) -> float:
    """The source's ``connect_timeout`` option, in seconds."""
    return float(config.options.get("connect_timeout", CONNECT_TIMEOUT_SECONDS))


def shutdown(dbapi_conn: Any) -> None:
    shutdown_socket(dbapi_conn.fileno())


def _pop_watch(conn: sa.Connection | None) -> Watch | None:
    """The watch armed on ``conn``'s statement, if any. The dialect's first-connect queries
    run on a connection whose pool proxy has no ``info`` (SQLAlchemy raises
    NotImplementedError for it) and no statement events: nothing was armed there, and an
    error raised here would replace the driver's own (a source cut while connecting would
    fail its task with a bare NotImplementedError instead of naming the source)."""
    if conn is None:
        return None
    try:
        info = conn.info
    except NotImplementedError:
        return None
    watch: Watch | None = info.pop(_WATCH, None)
    return watch


def watch_statements(engine: sa.Engine, seconds: float, abort: Any) -> None:
    """Arm a watchdog around every statement; on expiry ``abort(dbapi connection)``."""

    def before(conn: sa.Connection, cursor: Any, *_args: Any) -> None:
        dbapi_conn = cursor.connection
        conn.info[_WATCH] = WATCHDOG.arm(seconds, lambda: abort(dbapi_conn))

    def after(conn: sa.Connection, *_args: Any) -> None:
        watch: Watch | None = conn.info.pop(_WATCH, None)
        if watch is not None:
            WATCHDOG.disarm(watch)

    def on_error(context: sa.engine.ExceptionContext) -> None:
        watch = _pop_watch(context.connection)
        if watch is not None and WATCHDOG.disarm(watch):
            setattr(context.original_exception, TIMED_OUT, True)
            # the watchdog may have shut the socket down: never hand this connection out again
            context.is_disconnect = True

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    sa.event.listen(engine, "handle_error", on_error)


def watch_dialect(dialect: Any, seconds: float, abort: Any) -> None:
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
