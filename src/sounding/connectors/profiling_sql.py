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
profiles run in one REPEATABLE READ transaction.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from sounding.connectors.profiling import (
    QUANTILES,
    QuantileMethod,
    SqlDialect,
    column_sql,
    sample_rows_query,
)
from sounding.connectors.profiling_run import (
    QueryError,
    Run,
    Target,
    cap_note,
    is_full,
    most_frequent,
    profile_columns,
    sample_column,
)
from sounding.connectors.sql_catalog import error_text, quote_path, run_quoted
from sounding.connectors.sql_engine import timeout_kind
from sounding.connectors.sql_postgres import set_lock_timeout
from sounding.domain.assets import DiscoveredColumn, ObjectRef
from sounding.domain.profiling import SampleKind, SamplePolicy, TableProfile

logger = logging.getLogger(__name__)

SEED = 42
PG_EXACT_DISTINCT_MAX_ROWS = 10_000_000
"""Above this many rows (planner estimate) a full PostgreSQL profile takes distinct counts from
``pg_stats`` instead of ``count(DISTINCT)``."""
PG_SYSTEM_SAMPLE_MIN_ROWS = 1_000_000
"""From this many rows a percent sample reads whole pages (SYSTEM) rather than every row."""

PG_NO_EQUALITY = frozenset(
    {"json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle"}
)
"""PostgreSQL types without an equality operator: no count(DISTINCT), no GROUP BY."""

_PG_QUANTILES = ", ".join(str(q) for q in QUANTILES)


def dialect_for(conn: sa.Connection) -> SqlDialect:
    quote = conn.dialect.identifier_preparer.quote_identifier
    name = conn.dialect.name
    if name == "postgresql":
        return SqlDialect(
            "postgresql",
            quote,
            float_type="DOUBLE PRECISION",
            length="char_length({})",
            epoch="CAST(EXTRACT(EPOCH FROM {}) AS DOUBLE PRECISION)",
            quantiles=QuantileMethod.AGGREGATE,
            quantile=f"percentile_cont(ARRAY[{_PG_QUANTILES}]) WITHIN GROUP (ORDER BY {{}})",
            no_equality=PG_NO_EQUALITY,
        )
    if name in ("mysql", "mariadb"):
        return SqlDialect(
            "mysql",
            quote,
            float_type="DOUBLE",
            length="CHAR_LENGTH({})",
            epoch="(TO_SECONDS({}) - 62167219200)",
            quantiles=QuantileMethod.SORT,
        )
    return SqlDialect(
        "sqlite",
        quote,
        float_type="REAL",
        length="length({})",
        epoch="((julianday({}) - 2440587.5) * 86400.0)",
        quantiles=QuantileMethod.SORT,
        stddev=False,
    )


def _runner(conn: sa.Connection, savepoints: bool) -> Run:
    """Statements through the driver; a refused one raises QueryError (after rolling back to
    its savepoint on PostgreSQL, which refuses anything more in a failed transaction)."""

    def run(sql: str) -> Sequence[sa.Row[tuple[object, ...]]]:
        try:
            if savepoints:
                with conn.begin_nested():
                    return run_quoted(conn, sql).all()
            return run_quoted(conn, sql).all()
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated or timeout_kind(exc) is not None:
                raise  # no falling back to smaller queries: the source is gone or too slow
            raise QueryError(error_text(exc).splitlines()[0]) from exc

    return run


def relation(conn: sa.Connection, ref: ObjectRef) -> str:
    """The quoted name of a table inside the connection's database."""
    parts = ref.path[1:] if conn.dialect.name == "postgresql" else ref.path
    return quote_path(conn, *parts)


@dataclass
class _Prepared:
    source: str
    method: str = "full"
    row_count: int | None = None  # None: the rows profiled are the whole table
    estimate: bool = False
    distinct_estimates: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)
    cleanup: Callable[[], None] | None = None


def profile_sql(
    conn: sa.Connection, ref: ObjectRef, columns: Sequence[DiscoveredColumn], policy: SamplePolicy
) -> TableProfile:
    """Profile one table or view (raises QueryError when it cannot be read at all)."""
    started = time.perf_counter()
    backend = conn.dialect.name
    if backend in ("postgresql", "mysql", "mariadb"):
        conn.execution_options(isolation_level="REPEATABLE READ")
    run = _runner(conn, savepoints=backend == "postgresql")
    dialect = dialect_for(conn)
    try:
        if backend == "postgresql":
            set_lock_timeout(conn)
            prepared = _prepare_postgres(conn, run, ref, policy)
        elif backend == "sqlite":
            prepared = _prepare_sqlite(conn, run, ref, policy)
        else:
            prepared = _prepare_mysql(conn, run, ref, policy)
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


def _count(run: Run, rel: str) -> int:
    return int(run(f"SELECT count(*) FROM {rel}")[0][0])


def _fits_cap(run: Run, rel: str, policy: SamplePolicy, prepared: _Prepared) -> int | None:
    """For a row cap: the exact row count, or None when it needs no sample (noted)."""
    total = _count(run, rel)
    cap = int(policy.value or 0)
    if total <= cap:
        prepared.notes.append(cap_note(cap, total))
        return None
    return total


def _prepare_sqlite(
    conn: sa.Connection, run: Run, ref: ObjectRef, policy: SamplePolicy
) -> _Prepared:
    """SQLite cannot seed random(): the sample is materialized in a temp table, once."""
    rel = relation(conn, ref)
    prepared = _Prepared(rel)
    if is_full(policy):
        return prepared
    total = _count(run, rel) if policy.kind == SampleKind.PERCENT else None
    if policy.kind == SampleKind.ROWS:
        total = _fits_cap(run, rel, policy, prepared)
        if total is None:
            return prepared
        cap = int(policy.value or 0)
        select = f"SELECT * FROM {rel} ORDER BY random() LIMIT {cap}"
        prepared.method = f"ORDER BY random() LIMIT {cap}"
    else:
        threshold = round((policy.value or 0) / 100 * 2**20)
        select = f"SELECT * FROM {rel} WHERE (random() & {2**20 - 1}) < {threshold}"
        prepared.method = f"random() filter ({policy.value:g}%)"
    name = conn.dialect.identifier_preparer.quote_identifier(f"sounding_sample_{uuid.uuid4().hex}")
    run_quoted(conn, f"CREATE TEMP TABLE {name} AS {select}")
    prepared.source, prepared.row_count = f"temp.{name}", total
    prepared.cleanup = lambda: _drop(conn, f"temp.{name}")
    return prepared


def _drop(conn: sa.Connection, table: str) -> None:
    try:
        run_quoted(conn, f"DROP TABLE IF EXISTS {table}")
    except sa.exc.DBAPIError as exc:  # gone with the connection anyway
        logger.info("Could not drop %s: %s", table, error_text(exc))


def _prepare_mysql(
    conn: sa.Connection, run: Run, ref: ObjectRef, policy: SamplePolicy
) -> _Prepared:
    rel = relation(conn, ref)
    prepared = _Prepared(rel)
    if is_full(policy):
        return prepared
    if policy.kind == SampleKind.PERCENT:
        fraction = (policy.value or 0) / 100
        prepared.row_count = _count(run, rel)
        prepared.source = f"(SELECT * FROM {rel} WHERE RAND({SEED}) < {fraction!r})"
        prepared.method = f"RAND({SEED}) filter ({policy.value:g}%)"
    elif policy.kind == SampleKind.ROWS:
        total = _fits_cap(run, rel, policy, prepared)
        if total is not None:
            cap = int(policy.value or 0)
            prepared.row_count = total
            prepared.source = f"(SELECT * FROM {rel} ORDER BY RAND({SEED}) LIMIT {cap})"
            prepared.method = f"ORDER BY RAND({SEED}) LIMIT {cap}"
    return prepared


def _pg_relation_stats(conn: sa.Connection, ref: ObjectRef) -> tuple[float, str]:
    """(reltuples, relkind); reltuples is -1 for a table never analyzed."""
    row = conn.execute(
        sa.text(
            "SELECT c.reltuples, c.relkind FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relname = :name"
        ),
        {"schema": ref.path[1], "name": ref.name},
    ).first()
    return (float(row[0]), str(row[1])) if row is not None else (-1.0, "v")


def _prepare_postgres(
    conn: sa.Connection, run: Run, ref: ObjectRef, policy: SamplePolicy
) -> _Prepared:
    rel = relation(conn, ref)
    prepared = _Prepared(rel)
    estimate, relkind = _pg_relation_stats(conn, ref)
    if is_full(policy):
        if estimate > PG_EXACT_DISTINCT_MAX_ROWS:
            prepared.distinct_estimates = _pg_distinct(conn, ref, estimate)
            prepared.notes.append(
                f"distinct counts are the planner's estimates (pg_stats.n_distinct): about "
                f"{estimate:.0f} rows, over {PG_EXACT_DISTINCT_MAX_ROWS} are not counted exactly"
            )
        return prepared
    pages = relkind in ("r", "m", "p")  # TABLESAMPLE needs a table, not a view
    if pages and estimate >= 0:
        prepared.row_count, prepared.estimate = round(estimate), True
    else:
        prepared.row_count = _count(run, rel)
    if policy.kind == SampleKind.PERCENT:
        _pg_percent(prepared, rel, policy.value or 0, pages)
    else:
        _pg_capped(run, prepared, rel, int(policy.value or 0), pages)
    return prepared


def _pg_percent(prepared: _Prepared, rel: str, percent: float, pages: bool) -> None:
    if pages:
        total = prepared.row_count or 0
        method = "SYSTEM" if total >= PG_SYSTEM_SAMPLE_MIN_ROWS else "BERNOULLI"
        clause = f"TABLESAMPLE {method} ({percent!r}) REPEATABLE ({SEED})"
        prepared.source, prepared.method = f"(SELECT * FROM {rel} {clause})", clause
        return
    hashed = f"abs(mod(hashtextextended(CAST(r AS text), {SEED}), 1000000))"
    prepared.source = f"(SELECT * FROM {rel} AS r WHERE {hashed} < {round(percent * 10000)})"
    prepared.method = f"row-hash filter ({percent:g}%)"


def _pg_capped(run: Run, prepared: _Prepared, rel: str, cap: int, pages: bool) -> None:
    total = prepared.row_count or 0
    if total <= cap:  # maybe so: the planner's estimate may be stale
        total = _count(run, rel) if prepared.estimate else total
        prepared.row_count, prepared.estimate = total, False
        if total <= cap:
            prepared.notes.append(cap_note(cap, total))
            prepared.row_count = None
            return
    if pages:  # a little more than the cap, cut to it
        percent = min(100.0, 100 * (cap + 4 * math.sqrt(cap) + 10) / max(total, 1))
        clause = f"TABLESAMPLE BERNOULLI ({percent:.6f}) REPEATABLE ({SEED})"
        prepared.source = f"(SELECT * FROM {rel} {clause} LIMIT {cap})"
        prepared.method = f"{clause} LIMIT {cap}"
        return
    order = f"hashtextextended(CAST(r AS text), {SEED})"
    prepared.source = f"(SELECT * FROM {rel} AS r ORDER BY {order} LIMIT {cap})"
    prepared.method = f"ORDER BY row hash LIMIT {cap}"


def _pg_distinct(conn: sa.Connection, ref: ObjectRef, rows: float) -> dict[str, int]:
    """Distinct counts from the planner's statistics (negative n_distinct: a share of rows)."""
    found: dict[str, int] = {}
    for name, n_distinct in conn.execute(
        sa.text(
            "SELECT attname, n_distinct FROM pg_catalog.pg_stats "
            "WHERE schemaname = :schema AND tablename = :name"
        ),
        {"schema": ref.path[1], "name": ref.name},
    ):
        value = float(n_distinct)
        count = round(-value * rows) if value < 0 else round(value)
        found[name] = max(found.get(name, 0), count)
    return found


def sample_sql(
    conn: sa.Connection, ref: ObjectRef, columns: Sequence[str], limit: int
) -> dict[str, list[object]]:
    run = _runner(conn, savepoints=conn.dialect.name == "postgresql")
    rel = relation(conn, ref)
    dialect = dialect_for(conn)
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
