"""Profiling and sampling SQL databases through SQLAlchemy: SQLite, PostgreSQL, MySQL/MariaDB.

=============  ===========================  ====================  =========================
engine         distinct count               quantiles             sampling (percent / rows)
=============  ===========================  ====================  =========================
PostgreSQL     exact; above 10M rows the    ``percentile_cont``   ``TABLESAMPLE BERNOULLI``
               planner's ``n_distinct``     (exact)               (``SYSTEM`` from 1M rows)
               (approximate, say so)                              ``REPEATABLE``; views: a
                                                                  row-hash filter / order
MySQL/MariaDB  exact                        sorted, small only    ``RAND(seed)`` filter /
                                                                  ``ORDER BY RAND(seed) LIMIT``
SQLite         exact                        sorted, small only    temp table of a
                                                                  ``random()`` filter /
                                                                  ``ORDER BY random() LIMIT``
=============  ===========================  ====================  =========================

Standard deviation is ``stddev_samp`` except on SQLite, which has none: it is computed from
``sum(x)`` and ``sum(x * x)`` of the same pass. Every pass of one profile sees the same rows: a
sample is repeatable (seeded) or materialized (SQLite's temp table), and PostgreSQL and MySQL
profiles run in one REPEATABLE READ transaction (the dialect's ``snapshot``). How a backend
samples is its :class:`~sounding.connectors.sql_backend.SqlBackend`'s ``prepare_sample``, in
the backend's own module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import sqlalchemy as sa

from sounding.connectors.profiling import (
    SqlDialect,
    column_sql,
    profiling_dialect,
    sample_rows_query,
)
from sounding.connectors.profiling_run import (
    QueryError,
    Run,
    Target,
    most_frequent,
    profile_columns,
    sample_column,
)
from sounding.connectors.sql_backend import SqlBackend, backend_for, relation
from sounding.connectors.sql_catalog import error_text, run_quoted
from sounding.domain.assets import DiscoveredColumn, ObjectRef
from sounding.domain.dialects import Dialect, get_dialect
from sounding.domain.profiling import SamplePolicy, TableProfile

logger = logging.getLogger(__name__)


def dialect_for(conn: sa.Connection, backend: Dialect | None = None) -> SqlDialect:
    """The profiling SQL of the source's backend (default: the connection's), quoted by
    SQLAlchemy's preparer (which doubles ``%`` for drivers that format with it: the SQL runs
    through ``run_quoted``)."""
    backend = backend or get_dialect(conn.dialect.name)
    return profiling_dialect(backend, conn.dialect.identifier_preparer.quote_identifier)


def _runner(conn: sa.Connection, backend: SqlBackend, savepoints: bool) -> Run:
    """Statements through the driver; a refused one raises QueryError (after rolling back to
    its savepoint on PostgreSQL, which refuses anything more in a failed transaction)."""

    def run(sql: str) -> Sequence[sa.Row[tuple[object, ...]]]:
        try:
            if savepoints:
                with conn.begin_nested():
                    return run_quoted(conn, sql).all()
            return run_quoted(conn, sql).all()
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated or backend.timeout_kind(exc) is not None:
                raise  # no falling back to smaller queries: the source is gone or too slow
            raise QueryError(error_text(exc).splitlines()[0]) from exc

    return run


def profile_sql(
    conn: sa.Connection,
    ref: ObjectRef,
    columns: Sequence[DiscoveredColumn],
    policy: SamplePolicy,
    source_dialect: Dialect | None = None,
) -> TableProfile:
    """Profile one table or view (raises QueryError when it cannot be read at all).
    ``source_dialect``: the source's registered backend (default: the connection's)."""
    started = time.perf_counter()
    spelled = source_dialect or get_dialect(conn.dialect.name)
    backend = backend_for(spelled)
    if spelled.snapshot is not None:
        conn.execution_options(isolation_level=spelled.snapshot)
    run = _runner(conn, backend, spelled.savepoints)
    dialect = dialect_for(conn, spelled)
    try:
        if backend.before_profile is not None:
            backend.before_profile(conn)
        prepared = backend.prepare_sample(conn, run, ref, policy)
        try:
            target = Target(
                dialect, prepared.source, distinct_estimates=prepared.distinct_estimates
            )
            profiled = profile_columns(run, target, columns)
        finally:
            if prepared.cleanup is not None:
                prepared.cleanup()
    finally:
        conn.rollback()  # reads only: end the snapshot
    row_count = profiled.rows if prepared.row_count is None else prepared.row_count
    return TableProfile(
        row_count=row_count,
        sampled_rows=profiled.rows,
        policy=policy,
        columns=profiled.columns,
        seconds=time.perf_counter() - started,
        notes=prepared.notes + profiled.notes,
        sample_method=prepared.method,
        row_count_is_estimate=prepared.estimate,
    )


def sample_sql(
    conn: sa.Connection,
    ref: ObjectRef,
    columns: Sequence[str],
    limit: int,
    source_dialect: Dialect | None = None,
) -> dict[str, list[object]]:
    spelled = source_dialect or get_dialect(conn.dialect.name)
    run = _runner(conn, backend_for(spelled), spelled.savepoints)
    rel = relation(conn, ref)
    dialect = dialect_for(conn, spelled)
    try:
        try:  # one scan for the whole table; values counted here
            rows = run(sample_rows_query(rel, [column_sql(dialect, n) for n in columns], limit))
            return most_frequent(columns, rows, limit)
        except QueryError as exc:
            logger.info("Row sample of %s failed (%s); sampling column by column", rel, exc)
        run(f"SELECT 1 FROM {rel} WHERE 1 = 0")  # raises if the table itself is unreadable
        return {name: sample_column(run, rel, column_sql(dialect, name), limit) for name in columns}
    finally:
        conn.rollback()
