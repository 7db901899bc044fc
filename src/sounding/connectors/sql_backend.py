"""What the SQL connector does differently per backend, as one object per backend (I/O).

The pure part of a backend (URL schemes, driver, quoting, SQL spelling) is its
:class:`~sounding.domain.dialects.Dialect`; the part that talks to the server is a
:class:`SqlBackend`, named by the dialect's ``connector`` (``"module:attribute"``) and kept in
the backend's own module (``sql_sqlite``, ``sql_postgres``, ``sql_mysql``): how to read its
catalog, how to open an engine with its time limits, how to sample a table for a profile, and
where its query log is, if it keeps one. Shared sampling helpers live here too.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa

from sounding.connectors.base import SourceConfig
from sounding.connectors.deadlines import TIMED_OUT
from sounding.connectors.profiling_run import Run, cap_note
from sounding.connectors.sql_catalog import CatalogReader, error_text, quote_path, run_quoted
from sounding.domain.assets import ObjectRef, QueryLogEntry
from sounding.domain.dialects import Dialect, get_dialect
from sounding.domain.profiling import SamplePolicy

logger = logging.getLogger(__name__)

SEED = 42
"""Seed of every repeatable sample."""


@dataclass
class Prepared:
    """The rows a profile reads: a FROM clause (the table, or a sample of it) and what to say
    about it."""

    source: str
    method: str = "full"
    row_count: int | None = None  # None: the rows profiled are the whole table
    estimate: bool = False
    distinct_estimates: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)
    cleanup: Callable[[], None] | None = None


PrepareSample = Callable[[sa.Connection, Run, ObjectRef, SamplePolicy], Prepared]
QueryLog = Callable[[sa.Connection, int, str], list[QueryLogEntry]]  # conn, limit, source


@dataclass(frozen=True)
class SqlBackend:
    """One SQL backend's I/O: catalog reader, engine, sampling, query log (None: keeps none)."""

    dialect: Dialect
    catalog: Callable[[sa.URL], CatalogReader]
    engine: Callable[[sa.URL, SourceConfig], sa.Engine]
    prepare_sample: PrepareSample
    query_log: QueryLog | None = None
    before_profile: Callable[[sa.Connection], None] | None = None
    timed_out: Callable[[BaseException], bool | None] = lambda _error: None
    """For a driver error: None if it is not a timeout, True if the engine cancelled the
    statement (it answered), False if nothing came back and the client gave up."""

    def timeout_kind(self, exc: BaseException) -> bool | None:
        """None if ``exc`` is not a timed-out statement; else whether the engine answered."""
        orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        if orig is None:
            return None
        if getattr(exc, TIMED_OUT, False) or getattr(orig, TIMED_OUT, False):  # our watchdog
            return self.dialect.local_file  # a local file was running, only slowly
        return self.timed_out(orig)


@cache
def backend_for(dialect: Dialect) -> SqlBackend:
    """The SQL connector hooks the dialect names (ValueError when it names none)."""
    if not dialect.connector:
        raise ValueError(f"{dialect.title} is not read through the SQL connector")
    module_name, _, attr = dialect.connector.partition(":")
    backend: SqlBackend = getattr(importlib.import_module(module_name), attr)
    return backend


def relation(conn: sa.Connection, ref: ObjectRef) -> str:
    """The quoted name of a table inside the connection's database."""
    return quote_path(conn, *get_dialect(conn.dialect.name).relation_parts(ref.path))


def count_rows(run: Run, rel: str) -> int:
    return int(run(f"SELECT count(*) FROM {rel}")[0][0])


def fits_cap(run: Run, rel: str, policy: SamplePolicy, prepared: Prepared) -> int | None:
    """For a row cap: the exact row count, or None when it needs no sample (noted)."""
    total = count_rows(run, rel)
    cap = int(policy.value or 0)
    if total <= cap:
        prepared.notes.append(cap_note(cap, total))
        return None
    return total


def drop_table(conn: sa.Connection, table: str) -> None:
    try:
        run_quoted(conn, f"DROP TABLE IF EXISTS {table}")
    except sa.exc.DBAPIError as exc:  # gone with the connection anyway
        logger.info("Could not drop %s: %s", table, error_text(exc))
