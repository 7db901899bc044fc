"""Dialect names we accept (sqlfluff's vocabulary) and the sqlglot dialects that read them.

A statement that the named dialect cannot parse is retried with its fallbacks, in order: a
Databricks script is mostly Spark, Athena DML is Trino and its DDL is Hive, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlglot.dialects.dialect import Dialect

from sounding.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class DialectSpec:
    """How one accepted dialect name is read."""

    name: str
    sqlglot: str
    fallbacks: tuple[str, ...] = ()
    lateral_column_aliases: bool = False  # SELECT a AS x, x + 1 AS y resolves x to the alias


_SPECS: tuple[DialectSpec, ...] = (
    DialectSpec("ansi", "", ("postgres",)),
    DialectSpec("athena", "athena", ("hive", "trino")),
    DialectSpec("bigquery", "bigquery"),
    DialectSpec("clickhouse", "clickhouse"),
    DialectSpec("databricks", "databricks", ("spark",), lateral_column_aliases=True),
    DialectSpec("db2", "", ("postgres",)),
    DialectSpec("doris", "doris", ("mysql",)),
    DialectSpec("duckdb", "duckdb", ("postgres",), lateral_column_aliases=True),
    DialectSpec("exasol", "exasol"),
    DialectSpec("greenplum", "postgres"),
    DialectSpec("hive", "hive", ("spark",)),
    DialectSpec("impala", "hive", ("spark",)),
    DialectSpec("mariadb", "mysql"),
    DialectSpec("materialize", "materialize", ("postgres",)),
    DialectSpec("mysql", "mysql"),
    DialectSpec("oracle", "oracle"),
    DialectSpec("postgres", "postgres"),
    DialectSpec("presto", "presto", ("trino",)),
    DialectSpec("redshift", "redshift", ("postgres",), lateral_column_aliases=True),
    DialectSpec("snowflake", "snowflake", lateral_column_aliases=True),
    DialectSpec("soql", "", ("postgres",)),
    DialectSpec("sparksql", "spark", ("databricks", "hive"), lateral_column_aliases=True),
    DialectSpec("sqlite", "sqlite"),
    DialectSpec("starrocks", "starrocks", ("mysql",)),
    DialectSpec("teradata", "teradata", lateral_column_aliases=True),
    DialectSpec("trino", "trino", ("presto",)),
    DialectSpec("tsql", "tsql"),
    DialectSpec("vertica", "postgres"),
)
_BY_NAME = {spec.name: spec for spec in _SPECS}
_ALIASES = {"spark": "sparksql", "generic": "ansi", "": "ansi", "postgresql": "postgres"}


def dialects() -> list[str]:
    """The dialect names ``parse_lineage`` accepts."""
    return sorted(_BY_NAME)


def dialect_spec(name: str | None) -> DialectSpec:
    """The spec for ``name`` (case-insensitive); unknown names raise ``InvalidInputError``."""
    key = (name or "ansi").strip().lower()
    key = _ALIASES.get(key, key)
    spec = _BY_NAME.get(key)
    if spec is None and key in Dialect.classes:  # any other dialect sqlglot knows
        spec = DialectSpec(key, key)
    if spec is None:
        raise InvalidInputError(
            f"Unknown SQL dialect {name!r}; expected one of: {', '.join(dialects())}",
            dialect=name,
        )
    return spec


@cache
def sqlglot_dialects(spec: DialectSpec) -> tuple[Dialect, ...]:
    """The sqlglot dialects to try for ``spec``, the primary one first."""
    names = [spec.sqlglot] + [_BY_NAME[f].sqlglot if f in _BY_NAME else f for f in spec.fallbacks]
    return tuple(Dialect.get_or_raise(name) for name in names)
