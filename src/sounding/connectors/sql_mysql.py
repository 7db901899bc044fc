"""MySQL / MariaDB: the catalog from four ``information_schema`` queries per batch of one database.

Paths are ``(database, table)``: the URL's database, or every non-system database when the
URL names none. Types are ``COLUMN_TYPE`` as the server prints it (``int(11)``,
``varchar(50)``); row counts are ``TABLE_ROWS`` (an estimate for InnoDB) and sizes
``DATA_LENGTH + INDEX_LENGTH``. A view whose tables are gone has no columns in
``information_schema``; it is reported with the server's own error for it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from sounding.connectors.base import SourceConfig
from sounding.connectors.deadlines import client_deadline, whole_seconds
from sounding.connectors.profiling_run import Run, is_full
from sounding.connectors.sql_backend import (
    SEED,
    Prepared,
    SqlBackend,
    count_rows,
    fits_cap,
    relation,
)
from sounding.connectors.sql_catalog import Described, failure, quote_path, run_quoted
from sounding.connectors.sql_engine import connect_timeout
from sounding.connectors.sql_privileges import mysql_login_warnings
from sounding.domain.assets import (
    AssetType,
    DiscoveredColumn,
    DiscoveredObject,
    ForeignKeyRef,
    ObjectRef,
)
from sounding.domain.dialects.mysql import MYSQL
from sounding.domain.profiling import SampleKind, SamplePolicy

logger = logging.getLogger(__name__)

SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
_TYPES = {"BASE TABLE": AssetType.TABLE, "SYSTEM VERSIONED": AssetType.TABLE}
_TYPES |= {"VIEW": AssetType.VIEW}
_EXACT_COUNT_ENGINES = frozenset({"MyISAM", "Aria", "MEMORY"})


def _in_names(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("names", expanding=True))


_LIST = sa.text(
    "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA IN :databases"
).bindparams(sa.bindparam("databases", expanding=True))

_TABLES = _in_names(
    "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH, "
    "TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = :db AND TABLE_NAME IN :names"
)

_COLUMNS = _in_names(
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :db AND TABLE_NAME IN :names "
    "ORDER BY TABLE_NAME, ORDINAL_POSITION"
)

_KEYS = _in_names(
    "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, "
    "REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
    "WHERE TABLE_SCHEMA = :db AND TABLE_NAME IN :names "
    "AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL) "
    "ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
)

_VIEWS = _in_names(
    "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
    "WHERE TABLE_SCHEMA = :db AND TABLE_NAME IN :names"
)


class MysqlCatalog:
    container_types: tuple[AssetType, ...] = (AssetType.DATABASE,)
    row_count_estimates: bool = True

    has_logins: bool = True

    def __init__(self, database: str | None) -> None:
        self.database = database

    def login_warnings(self, conn: sa.Connection) -> list[str]:
        return mysql_login_warnings(conn)

    def facts(self, conn: sa.Connection) -> dict[str, Any]:
        version = conn.execute(sa.text("SELECT VERSION()")).scalar_one()
        return {
            "dialect": "mariadb" if "mariadb" in version.lower() else "mysql",
            "server_version": version,
            "databases": self.databases(conn),
        }

    def databases(self, conn: sa.Connection) -> list[str]:
        if self.database:
            # fails (Unknown database) once the database was dropped, where the catalog
            # queries would find an empty one and a scan would think every table removed
            run_quoted(conn, f"SHOW CREATE DATABASE {quote_path(conn, self.database)}")
            return [self.database]
        names = conn.execute(sa.text("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"))
        return sorted(name for (name,) in names if name.lower() not in SYSTEM_DATABASES)

    def list_objects(self, conn: sa.Connection) -> list[ObjectRef]:
        databases = self.databases(conn)
        if not databases:
            return []
        return [
            ObjectRef(_TYPES[kind], (database, name))
            for database, name, kind in conn.execute(_LIST, {"databases": databases})
            if kind in _TYPES  # not sequences or system views
        ]

    def describe_batch(
        self, conn: sa.Connection, container: tuple[str, ...], refs: Sequence[ObjectRef]
    ) -> dict[str, Described]:
        (database,) = container
        params = {"db": database, "names": sorted({ref.name for ref in refs})}
        tables = conn.execute(_TABLES, params).all()
        primary_keys, foreign_keys = _keys(conn, params)
        columns = _columns(conn, params, primary_keys)
        views = {name: sql for name, sql in conn.execute(_VIEWS, params)}
        results: dict[str, Described] = {}
        for name, kind, engine, rows, size, comment in tables:
            if kind not in _TYPES:
                continue
            ref = ObjectRef(_TYPES[kind], (database, name))
            if name not in columns:
                results[name] = _unreadable(conn, ref)
                continue
            is_view = kind == "VIEW"
            results[name] = DiscoveredObject(
                ref=ref,
                columns=tuple(columns[name]),
                primary_key=primary_keys.get(name, ()),
                foreign_keys=tuple(foreign_keys.get(name, ())),
                view_sql=views.get(name) if is_view else None,
                comment=(comment or None) if not is_view else None,
                row_count=None if is_view or rows is None else int(rows),
                row_count_exact=engine in _EXACT_COUNT_ENGINES and rows is not None,
                size_bytes=None if is_view or size is None else int(size),
                properties={"engine": engine} if engine else {},
            )
        return results


def _columns(
    conn: sa.Connection, params: dict[str, Any], primary_keys: dict[str, tuple[str, ...]]
) -> dict[str, list[DiscoveredColumn]]:
    columns: dict[str, list[DiscoveredColumn]] = {}
    for table, name, data_type, nullable, default, comment in conn.execute(_COLUMNS, params):
        table_columns = columns.setdefault(table, [])
        table_columns.append(
            DiscoveredColumn(
                name=name,
                data_type=data_type,
                nullable=nullable == "YES",
                ordinal=len(table_columns) + 1,
                # MariaDB says 'NULL' for "no default" of a nullable column
                default=None if default in (None, "NULL") else default,
                is_primary_key=name in primary_keys.get(table, ()),
                comment=comment or None,
            )
        )
    return columns


def _keys(
    conn: sa.Connection, params: dict[str, Any]
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[ForeignKeyRef]]]:
    primary: dict[str, list[str]] = {}
    foreign: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
    for table, constraint, column, ref_db, ref_table, ref_column in conn.execute(_KEYS, params):
        if constraint == "PRIMARY":
            primary.setdefault(table, []).append(column)
        else:
            foreign.setdefault((table, constraint), []).append(
                (column, ref_db, ref_table, ref_column)
            )
    foreign_keys: dict[str, list[ForeignKeyRef]] = {}
    for (table, constraint), parts in foreign.items():
        foreign_keys.setdefault(table, []).append(
            ForeignKeyRef(
                columns=tuple(p[0] for p in parts),
                referred_path=(parts[0][1], parts[0][2]),
                referred_columns=tuple(p[3] for p in parts),
                name=constraint,
            )
        )
    return {t: tuple(cols) for t, cols in primary.items()}, foreign_keys


def _unreadable(conn: sa.Connection, ref: ObjectRef) -> Described:
    """An object without columns in information_schema: ask the server why (a broken view)."""
    try:
        with conn.begin_nested():
            run_quoted(conn, f"SHOW COLUMNS FROM {quote_path(conn, *ref.path)}")
    except sa.exc.DBAPIError as exc:
        logger.warning("Could not describe %s: %s", ref.path, exc.orig)
        return failure(ref, exc)
    return failure(ref, f"no columns could be read from {ref.name!r}")


# --- engine: the server's statement limit, PyMySQL's socket timeouts --------------------


def mysql_engine(url: sa.URL, config: SourceConfig) -> sa.Engine:
    timeout = config.statement_timeout
    connect_args = {
        "connect_timeout": whole_seconds(connect_timeout(config)),
        "read_timeout": client_deadline(timeout),
        "write_timeout": client_deadline(timeout),
        "charset": "utf8mb4",
    }
    engine = sa.create_engine(url, connect_args=connect_args, pool_size=2, max_overflow=2)
    sa.event.listen(engine, "connect", _statement_limit(timeout))
    return engine


def _statement_limit(timeout: float) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        mariadb = "mariadb" in str(dbapi_conn.get_server_info()).lower()
        with dbapi_conn.cursor() as cur:
            if mariadb:
                cur.execute("SET SESSION max_statement_time = %s", (timeout,))
            else:  # MySQL limits SELECTs only, in milliseconds
                cur.execute("SET SESSION max_execution_time = %s", (math.ceil(timeout * 1000),))

    return on_connect


# --- sampling ---------------------------------------------------------------------------


def _prepare_mysql(conn: sa.Connection, run: Run, ref: ObjectRef, policy: SamplePolicy) -> Prepared:
    rel = relation(conn, ref)
    prepared = Prepared(rel)
    if is_full(policy):
        return prepared
    if policy.kind == SampleKind.PERCENT:
        fraction = (policy.value or 0) / 100
        prepared.row_count = count_rows(run, rel)
        prepared.source = f"(SELECT * FROM {rel} WHERE RAND({SEED}) < {fraction!r})"
        prepared.method = f"RAND({SEED}) filter ({policy.value:g}%)"
    elif policy.kind == SampleKind.ROWS:
        total = fits_cap(run, rel, policy, prepared)
        if total is not None:
            cap = int(policy.value or 0)
            prepared.row_count = total
            prepared.source = f"(SELECT * FROM {rel} ORDER BY RAND({SEED}) LIMIT {cap})"
            prepared.method = f"ORDER BY RAND({SEED}) LIMIT {cap}"
    return prepared


_TIMEOUT_CODES = frozenset({1969, 3024})  # MariaDB max_statement_time, MySQL's
_LOST = 2013  # "Lost connection ... (timed out)": PyMySQL's read_timeout


def _timed_out(error: BaseException) -> bool | None:
    args = getattr(error, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    if code in _TIMEOUT_CODES:
        return True
    if code == _LOST and "timed out" in str(error):
        return False
    return None


BACKEND = SqlBackend(
    dialect=MYSQL,
    catalog=lambda url: MysqlCatalog(url.database or None),
    engine=mysql_engine,
    prepare_sample=_prepare_mysql,
    timed_out=_timed_out,
)
