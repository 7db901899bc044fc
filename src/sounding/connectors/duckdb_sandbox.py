"""DuckDB connections locked down for user SQL: no file outside the source's own directory.

Quality rules run SQL a steward wrote (``custom_sql``) on the connector's DuckDB connection,
and DuckDB can read any file the server can (``read_text('/etc/shadow')``,
``read_csv('~/.sounding/secret.key')``), attach databases, fetch URLs and install extensions.
Every DuckDB connection of a source is therefore opened by :func:`sandboxed_connect`:

* extensions are never installed or loaded on demand (``autoinstall_known_extensions``,
  ``autoload_known_extensions`` and ``allow_community_extensions`` off; the readers Sounding
  uses — CSV, Parquet, JSON — are built in);
* ``enable_external_access = false`` with ``allowed_directories`` set to the source's own
  root: file functions, ``ATTACH``, ``COPY`` and URLs fail outside it with DuckDB's
  "Permission Error: Cannot access file ...";
* ``lock_configuration = true`` last, so a query cannot ``SET`` any of this back.

The allowed directory can be written as well as read (``COPY ... TO``, ``ATTACH`` of a new
file), and a read-only database file does not stop that: connectors run user SQL only when
:func:`not_a_query` finds it is a single SELECT.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb

from sounding.connectors.profiling_duckdb import quote_literal
from sounding.errors import UnsupportedSourceError

logger = logging.getLogger(__name__)

CONNECT_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


def _directory_prefix(path: Path) -> str:
    """``/data/shop/``: the trailing slash keeps ``/data/shop-private`` out."""
    text = str(path.resolve())
    return text if text.endswith("/") else text + "/"


def lock_down(con: duckdb.DuckDBPyConnection, allowed_directories: Sequence[Path]) -> None:
    """Forbid file access outside ``allowed_directories`` and lock the configuration."""
    if allowed_directories:
        listed = ", ".join(quote_literal(_directory_prefix(d)) for d in allowed_directories)
        con.execute(f"SET allowed_directories = [{listed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def sandboxed_connect(
    database: str = ":memory:",
    *,
    read_only: bool = False,
    allowed_directories: Sequence[Path] = (),
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that reads files only under ``allowed_directories``."""
    con = duckdb.connect(database, read_only=read_only, config=dict(CONNECT_CONFIG))
    try:
        lock_down(con, allowed_directories)
    except duckdb.Error as exc:  # fail closed: never run user SQL on an open connection
        con.close()
        raise UnsupportedSourceError(
            f"DuckDB {duckdb.__version__} cannot restrict file access ({exc}); "
            "install a newer duckdb"
        ) from exc
    except BaseException:
        con.close()
        raise
    return con


def not_a_query(sql: str) -> str | None:
    """Why ``sql`` is not one read-only query (None when it is a single SELECT, VALUES or
    ``WITH ... SELECT``): DuckDB's own parser splits and classifies the statements."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return str(exc).split("\n", 1)[0]
    if len(statements) != 1:
        return f"expected one query, got {len(statements)} statements"
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        return f"only a SELECT may run here, not a {kind.name} statement"
    return None
