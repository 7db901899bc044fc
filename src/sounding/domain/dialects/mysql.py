"""MySQL and MariaDB through PyMySQL (``mariadb://`` URLs use the same driver)."""

from __future__ import annotations

from sounding.domain.dialects import Dialect, ProfilingSql

MYSQL = Dialect(
    name="mysql",
    title="MySQL/MariaDB",
    schemes=("mysql", "mariadb"),
    sqlglot="mysql",
    driver="mysql+pymysql",
    connector="sounding.connectors.sql_mysql:BACKEND",
    drivers=frozenset({"", "pymysql"}),
    identifier_quote="`",
    backslash_escapes=True,
    booleans=("0", "1"),
    regex="CAST({column} AS CHAR) REGEXP {pattern}",
    regex_flags="(?-i)",  # REGEXP follows the collation: case-insensitive unless told
    default_port=3306,
    openlineage="mysql",
    percent_format=True,
    # the session, not one transaction: DDL commits on its own and would escape the latter
    read_only="SET SESSION TRANSACTION READ ONLY",
    snapshot="REPEATABLE READ",
    examples=("mysql://user@host:3306/dbname",),
    profiling=ProfilingSql(
        float_type="DOUBLE",
        length="CHAR_LENGTH({})",
        epoch="(TO_SECONDS({}) - 62167219200)",
    ),
)
