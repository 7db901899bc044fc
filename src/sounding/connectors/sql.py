"""SQL databases through SQLAlchemy 2: SQLite, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).

Accepted URLs::

    sqlite:///relative/path.db   sqlite:////absolute/path.db          (opened read-only)
    postgresql://user@host:5432/db   postgres://...   postgresql+psycopg://...
    mysql://user@host/db   mariadb://...   mysql+pymysql://...   (no database: all of them)

Catalog reading is per dialect (``sql_postgres``, ``sql_mysql``, ``sql_sqlite``): a handful of
catalog queries per batch of objects, never one round trip per table. Driver errors are turned
into ours at this boundary: ``ConnectionFailedError`` when the server cannot be reached,
``ObjectFailure`` results for objects that cannot be read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sounding.connectors.base import Capabilities, Connector, SourceConfig, missing_path
from sounding.connectors.deadlines import timeout_error
from sounding.connectors.profiling_run import QueryError
from sounding.connectors.profiling_sql import profile_sql, sample_sql
from sounding.connectors.sql_backend import backend_for
from sounding.connectors.sql_catalog import (
    Described,
    describe_in_batches,
    error_text,
)
from sounding.domain.assets import AssetType, DiscoveredColumn, ObjectRef, QueryLogEntry
from sounding.domain.credentials import redact, secret_values
from sounding.domain.dialects import Dialect, dialect_for, get_dialect, scheme_of, url_examples
from sounding.domain.profiling import SamplePolicy, TableProfile
from sounding.domain.quality import QueryTarget
from sounding.errors import (
    ConnectionFailedError,
    ObjectScanError,
    SourceError,
    SourceTimeoutError,
    UnsupportedSourceError,
)

logger = logging.getLogger(__name__)


def _examples() -> str:
    """The registered SQL backends' example URLs (a plugin's included)."""
    return ", ".join(url_examples(sql_connector=True))


def sql_dialect(url: str) -> Dialect | None:
    """The registered backend of ``url`` when it is one SQLAlchemy opens; None otherwise."""
    if "://" not in url:
        return None
    dialect = dialect_for(url)
    if dialect is None or dialect.driver is None or dialect.connector is None:
        return None
    return dialect


def normalize_url(url: str) -> sa.URL:
    """Parse a source URL and pick our driver; raise UnsupportedSourceError when malformed."""
    dialect = sql_dialect(url)
    if dialect is None or dialect.driver is None:
        raise UnsupportedSourceError(f"Not a SQL database URL. Examples: {_examples()}", url=url)
    backend = scheme_of(url)
    driver = url.split("://", 1)[0].partition("+")[2].lower()
    drivername = dialect.driver
    if driver not in dialect.drivers:
        raise UnsupportedSourceError(
            f"Driver {driver!r} is not supported for {backend}; "
            f"use {drivername}:// (or {backend}://)",
            url=url,
        )
    try:
        parsed = sa.make_url(url).set(drivername=drivername)
        port = parsed.port
    except ValueError as exc:  # SQLAlchemy parses the port with int()
        raise UnsupportedSourceError(
            f"Malformed database URL: the host's port must be a number from 1 to 65535 "
            f"(host:5432). Examples: {_examples()}",
            url=url,
        ) from exc
    except sa.exc.ArgumentError as exc:
        raise UnsupportedSourceError(
            f"Malformed database URL ({exc}). Examples: {_examples()}", url=url
        ) from exc
    if port is not None and not 0 < port < 65536:
        raise UnsupportedSourceError(f"Port {port} is out of range (1-65535)", url=url)
    if dialect.local_file and parsed.database in (None, "", ":memory:"):
        raise UnsupportedSourceError(
            f"A {dialect.title} source needs a file: {backend}:///relative.db or "
            f"{backend}:////absolute.db",
            url=url,
        )
    return parsed


class SqlConnector:
    """One SQL database source. Cheap to create; connects on first use."""

    kind = "sql"

    def __init__(self, config: SourceConfig, url: sa.URL, dialect: Dialect | None = None) -> None:
        self.config = config
        self.url = url
        self.dialect = dialect or get_dialect(url.get_backend_name())
        self._backend = backend_for(self.dialect)
        self._reader = self._backend.catalog(url)
        self._engine = self._backend.engine(url, config)
        self._gone: ConnectionFailedError | SourceTimeoutError | None = None
        self.container_types: tuple[AssetType, ...] = self._reader.container_types
        self.capabilities = Capabilities(row_count_estimates=self._reader.row_count_estimates)

    def _redact(self, text: str) -> str:
        """A driver's message without any credential of this source's URL (by name or by
        value: drivers echo DSN keywords and sometimes the bare password)."""
        known = [str(self.url.password)] if self.url.password else []
        known += secret_values(self.url.render_as_string(hide_password=False))
        return redact(text, known)

    @contextmanager
    def _connect(self, failing_to: str = "read the catalog of") -> Iterator[sa.Connection]:
        """A connection; driver errors become ours, "Failed to <failing_to> source 'x': ...".

        Once the source could not be connected to or stopped answering, this connector asks
        it nothing more: every later call fails at once with the same error (a stage or a
        quality run then fails fast instead of waiting out the timeout for every object)."""
        name = self.config.name
        if self._gone is not None:
            raise type(self._gone)(self._gone.message, **self._gone.details)
        try:
            conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            if self._backend.timeout_kind(exc) is not None:  # it froze while we connected
                self._gone = timeout_error(name, self.config.statement_timeout, answered=False)
                raise self._gone from exc
            message = self._redact(error_text(exc))
            self._gone = ConnectionFailedError(
                f"Failed to connect to source {name!r}: {message}", source=name
            )
            raise self._gone from exc
        except (TypeError, ValueError) as exc:  # the driver refuses a URL parameter
            raise UnsupportedSourceError(
                f"Failed to connect to source {name!r}: the driver does not accept its URL "
                f"({self._redact(str(exc))}); remove or correct the parameter",
                source=name,
            ) from exc
        with conn:
            try:
                yield conn
            except SourceTimeoutError as exc:  # raised by describe's batches
                if not exc.details.get("answered"):
                    self._gone = exc
                raise
            except sa.exc.DBAPIError as exc:
                answered = self._backend.timeout_kind(exc)
                if answered is not None:
                    timeout = timeout_error(name, self.config.statement_timeout, answered=answered)
                    if not answered:
                        self._gone = timeout
                    raise timeout from exc
                error = ConnectionFailedError if failing_to == "connect to" else SourceError
                message = self._redact(error_text(exc))
                raise error(
                    f"Failed to {failing_to} source {name!r}: {message}", source=name
                ) from exc

    def test(self) -> dict[str, Any]:
        """What the source is, and ``warnings`` about a too powerful login."""
        with self._connect("connect to") as conn:
            facts = self._reader.facts(conn)
            return {**facts, "warnings": self._login_warnings(conn)}

    def login_warnings(self) -> list[str]:
        """Warnings about the login (superuser, server file access); connects only to a
        server with logins (never creates a SQLite file)."""
        if not self._reader.has_logins:
            return []
        with self._connect("connect to") as conn:
            return self._login_warnings(conn)

    def _login_warnings(self, conn: sa.Connection) -> list[str]:
        try:
            return self._reader.login_warnings(conn)
        except sa.exc.DBAPIError as exc:  # an old server or a restricted catalog
            conn.rollback()
            logger.info("Could not check the login of source %r: %s", self.config.name, exc)
            return [f"Could not check the privileges of the login: {self._redact(error_text(exc))}"]

    def list_objects(self) -> list[ObjectRef]:
        with self._connect("list the objects of") as conn:
            refs = self._reader.list_objects(conn)
        return self.config.select(refs)

    def describe(self, refs: Sequence[ObjectRef]) -> Iterator[Described]:
        if not refs:
            return
        with self._connect() as conn:

            def run_batch(
                container: tuple[str, ...], chunk: Sequence[ObjectRef]
            ) -> dict[str, Described]:
                try:
                    found = self._reader.describe_batch(conn, container, chunk)
                except sa.exc.DBAPIError as exc:
                    answered = self._backend.timeout_kind(exc)
                    if answered is not None:  # not one by one: each would wait as long again
                        timeout = self.config.statement_timeout
                        raise timeout_error(self.config.name, timeout, answered=answered) from exc
                    if exc.connection_invalidated:
                        raise ConnectionFailedError(
                            f"Lost the connection to source {self.config.name!r}: "
                            f"{self._redact(error_text(exc))}",
                            source=self.config.name,
                        ) from exc
                    conn.rollback()  # PostgreSQL refuses more statements in a failed transaction
                    raise
                conn.rollback()  # catalog reads only: end the snapshot between batches
                return found

            yield from describe_in_batches(refs, run_batch, recoverable=(sa.exc.DBAPIError,))

    def query_log(self, limit: int = 5000) -> list[QueryLogEntry]:
        """Statements the engine recorded (PostgreSQL ``pg_stat_statements``), most run first.

        Raises SourceError saying how to enable it, or to use a log file instead, when the
        engine keeps no such log or it is not installed.
        """
        name = self.config.name
        read_log = self._backend.query_log
        if read_log is None:
            raise UnsupportedSourceError(
                f"Source {name!r} ({self.url.get_backend_name()}) keeps no query log Sounding "
                "can read; give a log file of its statements instead (--file FILE)",
                source=name,
            )
        with self._connect("read the query log of") as conn:
            return read_log(conn, limit, name)

    def profile(
        self, ref: ObjectRef, columns: Sequence[DiscoveredColumn], policy: SamplePolicy
    ) -> TableProfile:
        """Profile a table or view with aggregate queries (see ``profiling_sql``)."""
        with self._connect("profile") as conn:
            try:
                return profile_sql(conn, ref, columns, policy, self.dialect)
            except QueryError as exc:
                raise ObjectScanError(
                    f"Failed to profile {'.'.join(ref.path)} of source {self.config.name!r}: "
                    f"{self._redact(str(exc))}",
                    source=self.config.name,
                    path=list(ref.path),
                ) from exc

    def sample(
        self, ref: ObjectRef, columns: Sequence[str], limit: int = 1000
    ) -> dict[str, list[object]]:
        with self._connect("sample") as conn:
            try:
                return sample_sql(conn, ref, columns, limit, self.dialect)
            except QueryError as exc:
                raise ObjectScanError(
                    f"Failed to sample {'.'.join(ref.path)} of source {self.config.name!r}: "
                    f"{self._redact(str(exc))}",
                    source=self.config.name,
                    path=list(ref.path),
                ) from exc

    def quality_target(self, ref: ObjectRef) -> QueryTarget:
        """Plain quoting (no ``%`` doubling: ``run_quality_query`` escapes the whole text)."""
        dialect = self.dialect
        return QueryTarget(dialect.name, dialect.quote_path(dialect.relation_parts(ref.path)))

    def run_quality_query(
        self, sql: str, max_rows: int = 100
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """One query, never more than one statement, that cannot write: in a read-only
        transaction on PostgreSQL (sent as a prepared statement, which the server refuses to
        hold several commands, so ``COMMIT; ...`` cannot end the transaction), in a read-only
        session on MySQL/MariaDB (where DDL would otherwise commit and escape a read-only
        transaction; PyMySQL sends one statement at a time): the dialect's ``read_only``
        statement; SQLite opens the file read-only. A statement that returns no rows is
        refused as not a query."""
        dialect = self.dialect
        with self._connect("run a quality check on") as conn:
            try:
                if dialect.read_only is not None:
                    conn.exec_driver_sql(dialect.read_only)
                if dialect.percent_format:
                    sql = sql.replace("%", "%%")  # psycopg and PyMySQL format with %
                with _prepared_statements(conn):
                    result = conn.exec_driver_sql(sql)
                if not result.returns_rows:
                    raise ObjectScanError(
                        f"Failed to run a quality check on source {self.config.name!r}: "
                        "the statement is not a query (it returns no rows)",
                        source=self.config.name,
                    )
                names = list(result.keys())
                rows = [tuple(r) for r in result.fetchmany(max_rows)]
            finally:
                conn.rollback()
        return names, rows

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> SqlConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _prepared_statements(conn: sa.Connection) -> Iterator[None]:
    """On psycopg, prepare every statement run meanwhile (``prepare_threshold = 0``): a
    prepared statement holds exactly one command, where the simple query protocol would run
    ``COMMIT; CREATE TABLE ...`` as given. Other drivers run one statement per call anyway."""
    driver: Any = conn.connection.driver_connection
    if not hasattr(driver, "prepare_threshold"):
        yield
        return
    threshold = driver.prepare_threshold
    driver.prepare_threshold = 0
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


class SqlConnectorFactory:
    kind = "sql"

    def accepts(self, url: str) -> bool:
        return sql_dialect(url) is not None

    def check_url(self, url: str) -> None:
        normalize_url(url)

    def create(self, config: SourceConfig) -> Connector:
        return SqlConnector(config, normalize_url(config.url), sql_dialect(config.url))

    def local_paths(self, url: str) -> list[Path]:
        parsed, dialect = normalize_url(url), sql_dialect(url)
        if dialect is None or not dialect.local_file or not parsed.database:
            return []
        return [Path(parsed.database).expanduser().resolve()]

    def resolve_url(self, url: str) -> str:
        """A local file's URL (SQLite) with its file absolute (it must exist: SQLite would
        create an empty one); any other database URL unchanged."""
        parsed, dialect = normalize_url(url), sql_dialect(url)  # the URL's: a plugin's own title
        if dialect is None or not dialect.local_file or not parsed.database:
            return url
        if parsed.database.startswith("file:"):  # a URI filename: left as given
            return url
        path = Path(parsed.database).expanduser().resolve()
        if not path.is_file():
            raise missing_path(f"{dialect.title} file", path)
        return sa.make_url(url).set(database=str(path)).render_as_string(hide_password=False)


FACTORY = SqlConnectorFactory()
