"""PostgreSQL through psycopg 3."""

from __future__ import annotations

from sounding.domain.dialects import Dialect, ProfilingSql

POSTGRESQL = Dialect(
    name="postgresql",
    title="PostgreSQL",
    schemes=("postgresql", "postgres"),
    sqlglot="postgres",
    driver="postgresql+psycopg",
    connector="sounding.connectors.sql_postgres:BACKEND",
    drivers=frozenset({"", "psycopg"}),
    regex="CAST({column} AS TEXT) ~ {pattern}",
    default_port=5432,
    openlineage="postgres",
    database_in_relation=False,
    percent_format=True,
    read_only="SET TRANSACTION READ ONLY",
    snapshot="REPEATABLE READ",
    savepoints=True,
    examples=("postgresql://user@host:5432/dbname",),
    profiling=ProfilingSql(
        float_type="DOUBLE PRECISION",
        length="char_length({})",
        epoch="CAST(EXTRACT(EPOCH FROM {}) AS DOUBLE PRECISION)",
        quantile="percentile_cont(ARRAY[{quantiles}]) WITHIN GROUP (ORDER BY {})",
        # types without an equality operator: no count(DISTINCT), no GROUP BY
        no_equality=frozenset(
            {"json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle"}
        ),
    ),
)
