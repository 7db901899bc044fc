"""DuckDB database files (``duckdb:///path/to/file.duckdb``), through the duckdb module.

The file is opened read-only and locked down (``duckdb_sandbox``): no query, quality rules'
custom SQL included, reads a file outside the database file's directory. Paths are
``(database, schema, table)`` where database is DuckDB's catalog name for the file (its
stem). Columns, keys and comments come from the ``duckdb_*()`` catalog functions in one query
each per batch; views are bound (``DESCRIBE``)
so that a view over a dropped table is reported as a failure with DuckDB's own message.
Row counts are exact ``count(*)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from sounding.connectors.base import Capabilities, Connector, SourceConfig, missing_path
from sounding.connectors.duckdb_sandbox import not_a_query, sandboxed_connect
from sounding.connectors.profiling_duckdb import (
    count_rows,
    deadline,
    profile_duckdb,
    quote_identifier,
    sample_duckdb,
)
from sounding.connectors.profiling_run import QueryError
from sounding.connectors.sql_catalog import Described, describe_in_batches, failure
from sounding.domain.assets import (
    AssetType,
    DiscoveredColumn,
    DiscoveredObject,
    ForeignKeyRef,
    ObjectRef,
)
from sounding.domain.dialects.duckdb import DUCKDB
from sounding.domain.profiling import SamplePolicy, TableProfile
from sounding.domain.quality import QueryTarget
from sounding.errors import (
    ConnectionFailedError,
    ObjectScanError,
    SourceError,
    UnsupportedSourceError,
)

logger = logging.getLogger(__name__)

SCHEME = "duckdb://"

_LIST = """
SELECT database_name, schema_name, table_name, 'table' FROM duckdb_tables()
WHERE NOT internal AND NOT temporary
UNION ALL
SELECT database_name, schema_name, view_name, 'view' FROM duckdb_views()
WHERE NOT internal AND NOT temporary
"""
_SCOPE = "database_name = $db AND schema_name = $schema AND list_contains($names, {name})"

_OBJECTS = f"""
SELECT table_name, 'table', comment, NULL FROM duckdb_tables()
WHERE {_SCOPE.format(name="table_name")} AND NOT temporary
UNION ALL
SELECT view_name, 'view', comment, sql FROM duckdb_views()
WHERE {_SCOPE.format(name="view_name")} AND NOT temporary
"""
_COLUMNS = f"""
SELECT table_name, column_name, data_type, is_nullable, column_default, comment
FROM duckdb_columns() WHERE {_SCOPE.format(name="table_name")}
ORDER BY table_name, column_index
"""
_CONSTRAINTS = f"""
SELECT table_name, constraint_type, constraint_name, constraint_column_names,
  referenced_table, referenced_column_names
FROM duckdb_constraints()
WHERE {_SCOPE.format(name="table_name")}
  AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
ORDER BY table_name, constraint_index
"""


def _path_from_url(url: str) -> Path:
    if not url.lower().startswith(SCHEME):
        raise UnsupportedSourceError(f"Not a DuckDB URL: use {SCHEME}/path/to/file.duckdb", url=url)
    rest = url[len(SCHEME) :]
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        raise UnsupportedSourceError(
            "A DuckDB source needs a file: duckdb:///relative.duckdb or duckdb:////abs.duckdb",
            url=url,
        )
    return Path(rest[1:]).expanduser().resolve()


class DuckdbConnector:
    kind = "duckdb"
    capabilities = Capabilities(views=True, foreign_keys=True)
    container_types: tuple[AssetType, ...] = (AssetType.DATABASE, AssetType.SCHEMA)

    def __init__(self, config: SourceConfig, path: Path) -> None:
        self.config = config
        self.path = path
        self._con: duckdb.DuckDBPyConnection | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if not self.path.is_file():  # checked each time: an open file is still read once
            self.close()  # deleted, and a source that is gone must say so mid-scan
        if self._con is None:
            if not self.path.is_file():
                raise ConnectionFailedError(
                    f"Failed to connect to source {self.config.name!r}: "
                    f"database file {self.path} does not exist",
                    source=self.config.name,
                )
            try:
                self._con = sandboxed_connect(  # user SQL runs here: files beside it only
                    str(self.path), read_only=True, allowed_directories=[self.path.parent]
                )
            except duckdb.Error as exc:
                raise ConnectionFailedError(
                    f"Failed to connect to source {self.config.name!r}: {exc}",
                    source=self.config.name,
                ) from exc
        return self._con

    @contextmanager
    def _cursor(self, failing_to: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own (a DuckDB connection must not be shared between threads);
        DuckDB errors become ours: "Failed to <failing_to> source 'x': ..."."""
        with self._connection().cursor() as cur:
            try:
                with deadline(cur, self.config):
                    yield cur
            except duckdb.Error as exc:
                raise SourceError(
                    f"Failed to {failing_to} source {self.config.name!r}: {exc}",
                    source=self.config.name,
                ) from exc

    def test(self) -> dict[str, Any]:
        with self._cursor("read the catalog of") as cur:
            databases = cur.execute(
                "SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1"
            ).fetchall()
            schemas = cur.execute(
                "SELECT DISTINCT s.schema_name FROM duckdb_schemas() s "
                "JOIN duckdb_databases() d USING (database_name) WHERE NOT d.internal "
                "AND s.schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY 1"
            ).fetchall()
        return {
            "dialect": DUCKDB.name,
            "server_version": duckdb.__version__,
            "databases": [name for (name,) in databases],
            "schemas": [name for (name,) in schemas],
        }

    def list_objects(self) -> list[ObjectRef]:
        kinds = {"table": AssetType.TABLE, "view": AssetType.VIEW}
        with self._cursor("list the objects of") as cur:
            rows = cur.execute(_LIST).fetchall()
        refs = [ObjectRef(kinds[kind], (db, schema, name)) for db, schema, name, kind in rows]
        return self.config.select(refs)

    def describe(self, refs: Sequence[ObjectRef]) -> Iterator[Described]:
        if not refs:
            return
        with self._cursor("describe objects of") as cur:

            def run_batch(
                container: tuple[str, ...], chunk: Sequence[ObjectRef]
            ) -> dict[str, Described]:
                return _describe_batch(cur, container, chunk)

            yield from describe_in_batches(refs, run_batch, recoverable=(duckdb.Error,))

    def profile(
        self, ref: ObjectRef, columns: Sequence[DiscoveredColumn], policy: SamplePolicy
    ) -> TableProfile:
        """Profile a table or view in DuckDB (see ``profiling_duckdb``)."""
        qualified = ".".join(quote_identifier(part) for part in ref.path)
        with self._cursor("profile") as cur:
            try:
                hint = count_rows(cur, qualified) if ref.type == AssetType.TABLE else None
                return profile_duckdb(cur, qualified, columns, policy, rows_hint=hint)
            except QueryError as exc:
                raise ObjectScanError(
                    f"Failed to profile {'.'.join(ref.path)} of source {self.config.name!r}: {exc}",
                    source=self.config.name,
                    path=list(ref.path),
                ) from exc

    def sample(
        self, ref: ObjectRef, columns: Sequence[str], limit: int = 1000
    ) -> dict[str, list[object]]:
        qualified = ".".join(quote_identifier(part) for part in ref.path)
        with self._cursor("sample") as cur:
            return sample_duckdb(cur, qualified, columns, limit)

    def quality_target(self, ref: ObjectRef) -> QueryTarget:
        return QueryTarget(DUCKDB.name, DUCKDB.quote_path(ref.path))

    def run_quality_query(
        self, sql: str, max_rows: int = 100
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """One query (a single SELECT: ``not_a_query``) on the database, opened read-only."""
        if refused := not_a_query(sql):
            raise ObjectScanError(
                f"Failed to run a quality check on source {self.config.name!r}: {refused}",
                source=self.config.name,
            )
        with self._cursor("run a quality check on") as cur:
            cur.execute(sql)
            names = [d[0] for d in cur.description or ()]
            return names, [tuple(r) for r in cur.fetchmany(max_rows)]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> DuckdbConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe_batch(
    con: duckdb.DuckDBPyConnection, container: tuple[str, ...], refs: Sequence[ObjectRef]
) -> dict[str, Described]:
    database, schema = container
    params = {"db": database, "schema": schema, "names": sorted({r.name for r in refs})}
    objects = con.execute(_OBJECTS, params).fetchall()
    columns: dict[str, list[DiscoveredColumn]] = {}
    for table, name, data_type, nullable, default, comment in con.execute(
        _COLUMNS, params
    ).fetchall():
        table_columns = columns.setdefault(table, [])
        table_columns.append(
            DiscoveredColumn(
                name=name,
                data_type=data_type,
                nullable=nullable,
                ordinal=len(table_columns) + 1,
                default=default,
                comment=comment,
            )
        )
    primary_keys: dict[str, tuple[str, ...]] = {}
    foreign_keys: dict[str, list[ForeignKeyRef]] = {}
    for table, kind, name, cols, referred, referred_cols in con.execute(
        _CONSTRAINTS, params
    ).fetchall():
        if kind == "PRIMARY KEY":
            primary_keys[table] = tuple(cols)
        else:  # DuckDB keys refer to tables of the same schema
            foreign_keys.setdefault(table, []).append(
                ForeignKeyRef(tuple(cols), (database, schema, referred), tuple(referred_cols), name)
            )
    results: dict[str, Described] = {}
    for name, kind, comment, view_sql in objects:
        ref = ObjectRef(AssetType.TABLE if kind == "table" else AssetType.VIEW, (*container, name))
        qualified = ".".join(quote_identifier(part) for part in ref.path)
        key = primary_keys.get(name, ())
        try:
            if kind == "view":  # bind it now: a view over a dropped table fails here
                described = _bound_columns(con, qualified, columns.get(name, ()))
                row_count = None
            else:
                described = [replace(c, is_primary_key=c.name in key) for c in columns[name]]
                row_count = _scalar(con, f"SELECT count(*) FROM {qualified}")
        except duckdb.Error as exc:
            logger.warning("Could not describe %s: %s", ref.path, exc)
            results[name] = failure(ref, exc)
            continue
        results[name] = DiscoveredObject(
            ref=ref,
            columns=tuple(described),
            primary_key=key,
            foreign_keys=tuple(foreign_keys.get(name, ())),
            view_sql=view_sql,
            comment=comment or None,
            row_count=row_count,
            row_count_exact=row_count is not None,
        )
    return results


def _bound_columns(
    con: duckdb.DuckDBPyConnection, qualified: str, stored: Sequence[DiscoveredColumn]
) -> list[DiscoveredColumn]:
    """A view's columns as DuckDB binds it today, with comments kept from the catalog."""
    comments = {c.name: c.comment for c in stored}
    return [
        DiscoveredColumn(
            name=name,
            data_type=data_type,
            nullable=null != "NO",
            ordinal=ordinal,
            default=default,
            comment=comments.get(name),
        )
        for ordinal, (name, data_type, null, _key, default, _extra) in enumerate(
            con.execute(f"DESCRIBE {qualified}").fetchall(), start=1
        )
    ]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int | None:
    row = con.execute(sql).fetchone()
    return None if row is None or row[0] is None else int(row[0])


class DuckdbConnectorFactory:
    kind = "duckdb"

    def accepts(self, url: str) -> bool:
        return url.lower().startswith(SCHEME)

    def check_url(self, url: str) -> None:
        _path_from_url(url)

    def create(self, config: SourceConfig) -> Connector:
        return DuckdbConnector(config, _path_from_url(config.url))

    def local_paths(self, url: str) -> list[Path]:
        return [_path_from_url(url)]

    def resolve_url(self, url: str) -> str:
        """The URL with its file absolute (it must exist: DuckDB would create an empty one)."""
        path = _path_from_url(url)
        if not path.is_file():
            raise missing_path("DuckDB file", path)
        return f"{SCHEME}/{path}"


FACTORY = DuckdbConnectorFactory()
