"""SQLite: a file opened read-only through SQLAlchemy's pysqlite driver."""

from __future__ import annotations

from sounding.domain.dialects import Dialect, ProfilingSql

SQLITE = Dialect(
    name="sqlite",
    title="SQLite",
    schemes=("sqlite",),
    sqlglot="sqlite",
    driver="sqlite+pysqlite",
    connector="sounding.connectors.sql_sqlite:BACKEND",
    drivers=frozenset({"", "pysqlite"}),
    # REGEXP is answered by a Python function the connector registers (re.search)
    regex="{column} REGEXP {pattern}",
    local_file=True,
    examples=("sqlite:////absolute/path/shop.db",),
    profiling=ProfilingSql(
        float_type="REAL",
        length="length({})",
        epoch="((julianday({}) - 2440587.5) * 86400.0)",
        stddev=False,  # no stddev_samp(): computed from sum(x) and sum(x * x)
    ),
)
