"""DuckDB: database files (``duckdb://``) and data files read by DuckDB (``file://``).

Not through SQLAlchemy: the DuckDB and files connectors open the duckdb module themselves.
"""

from __future__ import annotations

from sounding.domain.dialects import Dialect, ProfilingSql

DUCKDB = Dialect(
    name="duckdb",
    title="DuckDB",
    schemes=("duckdb", "file"),
    sqlglot="duckdb",
    regex="regexp_matches(CAST({column} AS VARCHAR), {pattern})",
    local_file=True,
    examples=("duckdb:////absolute/path/warehouse.duckdb", "file:///absolute/path/exports"),
    profiling=ProfilingSql(
        float_type="DOUBLE",
        length="length({})",
        epoch="epoch({})",
        quantile="quantile_cont({}, [{quantiles}])",
        approx_quantile="approx_quantile({}, [{quantiles}])",
        approx_distinct="approx_count_distinct",
        value_counts="histogram",
        value_histogram=True,
    ),
)
