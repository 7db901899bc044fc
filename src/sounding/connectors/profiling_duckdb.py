"""Profiling and sampling with DuckDB: DuckDB database files, and data files read by DuckDB.

DuckDB has everything a profile needs as aggregates. Distinct counts are exact
(``count(DISTINCT)``) up to ``EXACT_DISTINCT_MAX_ROWS`` profiled rows and approximate above
(``approx_count_distinct``, HyperLogLog); quantiles are exact (``quantile_cont``, which is
faster than ``approx_quantile`` at these sizes) up to ``EXACT_QUANTILES_MAX_ROWS`` and
approximate above; the profile says which. A profile is two passes: the aggregate pass, then
one for histograms (``histogram()`` of each value's bin number, ``floor((x - min) / width)``)
and the value counts of low-cardinality columns (``histogram(x)``, whose ten largest are the
top values).

Samples are DuckDB's own (``USING SAMPLE p PERCENT (bernoulli)``, ``reservoir(n ROWS)``),
materialized once in a temp table so that both passes see the same rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from sounding.connectors.base import SourceConfig
from sounding.connectors.deadlines import WATCHDOG, timeout_error
from sounding.connectors.profiling import Approximate, column_sql, profiling_dialect
from sounding.connectors.profiling_run import (
    QueryError,
    Run,
    Target,
    cap_note,
    is_full,
    profile_columns,
    sample_column,
)
from sounding.domain.assets import DiscoveredColumn
from sounding.domain.dialects.duckdb import DUCKDB as DUCKDB_DIALECT
from sounding.domain.profiling import SampleKind, SamplePolicy, TableProfile

SEED = 42
EXACT_DISTINCT_MAX_ROWS = 1_000_000
"""Above this many profiled rows, distinct counts are approximate (HyperLogLog)..."""
EXACT_QUANTILES_MAX_ROWS = 20_000_000
"""... and above this many, quantiles too (t-digest: slower than the exact sort up to here,
but in bounded memory)."""


def quote_identifier(name: str) -> str:
    """DuckDB (standard SQL) identifier quoting; always quoted, so any name round-trips."""
    return DUCKDB_DIALECT.quote(name)


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


DUCKDB = profiling_dialect(DUCKDB_DIALECT)


def error_text(exc: BaseException) -> str:
    """DuckDB's message without the echo of our query it appends."""
    return str(exc).split("\n\nLINE ", 1)[0].strip()


def _runner(cur: duckdb.DuckDBPyConnection) -> Run:
    def run(sql: str) -> list[tuple[Any, ...]]:
        try:
            return cur.execute(sql).fetchall()
        except duckdb.InterruptException:
            raise  # the deadline passed: no falling back to smaller queries
        except duckdb.Error as exc:
            raise QueryError(error_text(exc)) from exc

    return run


@contextmanager
def deadline(cur: duckdb.DuckDBPyConnection, config: SourceConfig) -> Iterator[None]:
    """Interrupt what runs on ``cur`` once the source's statement timeout has passed; what
    was interrupted raises the source's timeout error."""
    with WATCHDOG.watch(config.statement_timeout, cur.interrupt) as watch:
        try:
            yield
        except (duckdb.Error, QueryError) as exc:
            if watch.fired:
                raise timeout_error(config.name, config.statement_timeout, answered=True) from exc
            raise


def profile_duckdb(
    cur: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[DiscoveredColumn],
    policy: SamplePolicy,
    *,
    rows_hint: int | None = None,
) -> TableProfile:
    """Profile ``SELECT * FROM relation`` (a quoted table, or a reader table function).

    ``rows_hint`` is how many rows the relation has, if cheaply known (it decides exact or
    approximate figures for a full profile); raises QueryError when it cannot be read.
    """
    started = time.perf_counter()
    run = _runner(cur)
    source, method, total, notes = relation, "full", None, []
    temp: str | None = None
    if not is_full(policy):
        total = int(run(f"SELECT count(*) FROM {relation}")[0][0])
        if policy.kind == SampleKind.ROWS:
            clause = f"reservoir({int(policy.value or 0)} ROWS) REPEATABLE ({SEED})"
        else:
            clause = f"{policy.value!r} PERCENT (bernoulli, {SEED})"
        if policy.kind == SampleKind.ROWS and total <= int(policy.value or 0):
            notes.append(cap_note(int(policy.value or 0), total))
            total, rows_hint = None, total
        else:
            temp = quote_identifier(f"sounding_sample_{uuid.uuid4().hex}")
            run(f"CREATE TEMP TABLE {temp} AS SELECT * FROM {relation} USING SAMPLE {clause}")
            source, method = temp, f"USING SAMPLE {clause}"
            rows_hint = int(run(f"SELECT count(*) FROM {temp}")[0][0])
    approx = Approximate(
        distinct=rows_hint is not None and rows_hint > EXACT_DISTINCT_MAX_ROWS,
        quantiles=rows_hint is not None and rows_hint > EXACT_QUANTILES_MAX_ROWS,
    )
    if approx.distinct:
        notes.append(
            f"distinct counts are approximate (HyperLogLog): over {EXACT_DISTINCT_MAX_ROWS} rows"
        )
    if approx.quantiles:
        notes.append(f"quantiles are approximate (t-digest): over {EXACT_QUANTILES_MAX_ROWS} rows")
    try:
        profiled = profile_columns(run, Target(DUCKDB, source, approx), columns)
    finally:
        if temp is not None:
            cur.execute(f"DROP TABLE IF EXISTS {temp}")
    return TableProfile(
        row_count=profiled.rows if total is None else total,
        sampled_rows=profiled.rows,
        policy=policy,
        columns=profiled.columns,
        seconds=time.perf_counter() - started,
        notes=notes + profiled.notes,
        sample_method=method,
    )


def count_rows(cur: duckdb.DuckDBPyConnection, relation: str) -> int:
    """``count(*)``: free for DuckDB tables and Parquet (metadata); raises QueryError."""
    return int(_runner(cur)(f"SELECT count(*) FROM {relation}")[0][0])


def sample_duckdb(
    cur: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str], limit: int
) -> dict[str, list[object]]:
    run = _runner(cur)
    return {name: sample_column(run, relation, column_sql(DUCKDB, name), limit) for name in columns}
