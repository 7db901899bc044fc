"""Profiling benchmark: a 10-million-row, 12-column table in SQLite and in Parquet (DuckDB).

For each engine it times:

1. **ours**: ``connector.profile(ref, columns, SamplePolicy())`` through the registry, as a
   scan runs it (the connector picks exact or approximate figures itself);
2. **the floor**: hand-written SQL for the same figures, on a plain connection: the single
   aggregate query (row count; per column nulls, distinct, min/max, mean and stddev, quantiles
   where the engine has them, text lengths) — ``floor_core`` — and then the statements a person
   would add for the rest of what our profile holds (one histogram query, one GROUP BY per
   column that has top values; on DuckDB ``histogram(x)`` in the histogram query) — ``floor``;
3. **pandas**: load the table into a DataFrame (``read_sql_query`` / ``read_parquet``), then
   ``describe(include="all")`` and ``value_counts()`` of every column. pandas runs in its own
   virtual environment, bench/.peer-venvs/pandas (created on first use; never a project
   dependency); load and compute are reported apart, the ratio uses both.

Data is generated once (deterministic hashes, in DuckDB) and cached under
bench/.out/profiling/<rows>/: events.parquet, and events.sqlite loaded from it.

    .venv/bin/python bench/profiling.py [--rows 10000000] [--engines sqlite,parquet]
        [--repeat 3] [--sqlite-repeat 1] [--no-pandas]

Prints one JSON line on stdout; progress goes to stderr. Goal: ours within 1.5x of the floor,
and at least 10x faster than pandas.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

import duckdb

from sounding.connectors.base import Profiler, SourceConfig
from sounding.connectors.registry import default_registry
from sounding.domain.assets import DiscoveredObject
from sounding.domain.profiling import SamplePolicy, TableProfile

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / ".out" / "profiling"
PEER_VENV = ROOT / "bench" / ".peer-venvs" / "pandas"

# name, SQLite declared type, what the floor computes for it
COLUMNS = [
    ("id", "INTEGER PRIMARY KEY", "number"),
    ("customer_id", "INTEGER", "number"),
    ("amount", "REAL", "number"),
    ("quantity", "INTEGER", "number"),
    ("status", "TEXT", "text"),
    ("country", "TEXT", "text"),
    ("email", "TEXT", "text"),
    ("created_at", "TIMESTAMP", "time"),
    ("is_active", "BOOLEAN", "bool"),
    ("score", "REAL", "number"),
    ("category", "TEXT", "text"),
    ("note", "TEXT", "text"),
]

GENERATE = """
SELECT
  range + 1 AS id,
  CAST(hash(range, 1) % 100000 AS INTEGER) AS customer_id,
  CASE WHEN hash(range, 2) % 20 = 0 THEN NULL
       ELSE round(CAST(hash(range, 3) % 1000000 AS DOUBLE) / 100, 2) END AS amount,
  CAST(1 + hash(range, 4) % 20 AS INTEGER) AS quantity,
  ['new', 'paid', 'shipped', 'returned', 'cancelled'][CAST(1 + hash(range, 5) % 5 AS BIGINT)]
    AS status,
  CASE WHEN hash(range, 6) % 10 = 0 THEN NULL ELSE 'C' || (hash(range, 7) % 50) END AS country,
  'user' || (hash(range, 8) % 1000000) || '@example.com' AS email,
  TIMESTAMP '2020-01-01' + to_seconds(CAST(hash(range, 9) % 157680000 AS BIGINT)) AS created_at,
  hash(range, 10) % 2 = 0 AS is_active,
  CAST(hash(range, 11) % 10000 + hash(range, 12) % 10000 + hash(range, 13) % 10000 AS DOUBLE)
    / 300 - 50 AS score,
  'cat-' || (hash(range, 14) % 200) AS category,
  CASE WHEN hash(range, 15) % 100 = 0 THEN 'note ' || (hash(range, 16) % 10) END AS note
FROM range({rows})
"""

PANDAS_RUNNER = r"""
import json, sqlite3, sys, time
import pandas as pd
kind, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
if kind == "sqlite":
    con = sqlite3.connect(path)
    chunks = pd.read_sql_query("SELECT * FROM events", con, chunksize=1_000_000)
    df = pd.concat(chunks, ignore_index=True)
    con.close()
else:
    df = pd.read_parquet(path)
loaded = time.perf_counter()
described = df.describe(include="all")
counts = {name: df[name].value_counts().head(10) for name in df.columns}
done = time.perf_counter()
print(json.dumps({"load_s": loaded - started, "compute_s": done - loaded,
                  "rows": len(df), "version": pd.__version__}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(rows: int) -> tuple[Path, Path]:
    folder = OUT / str(rows)
    parquet, sqlite_path = folder / "parquet" / "events.parquet", folder / "events.sqlite"
    parquet.parent.mkdir(parents=True, exist_ok=True)
    if not parquet.exists():
        log(f"generating {parquet} ({rows} rows)")
        partial = parquet.with_suffix(".partial")
        con = duckdb.connect()
        con.execute(f"COPY ({GENERATE.format(rows=rows)}) TO '{partial}' (FORMAT parquet)")
        con.close()
        partial.rename(parquet)
    if not sqlite_path.exists():
        log(f"loading {sqlite_path} from the Parquet file (a few minutes for 10M rows)")
        partial = sqlite_path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        lite = sqlite3.connect(partial)
        lite.execute("PRAGMA journal_mode = OFF")
        lite.execute("PRAGMA synchronous = OFF")
        lite.execute(f"CREATE TABLE events ({', '.join(f'{n} {t}' for n, t, _ in COLUMNS)})")
        cur = duckdb.connect().execute(
            "SELECT * REPLACE (strftime(created_at, '%Y-%m-%d %H:%M:%S') AS created_at, "
            f"CAST(is_active AS INTEGER) AS is_active) FROM read_parquet('{parquet}') ORDER BY id"
        )
        marks = ", ".join("?" for _ in COLUMNS)
        while batch := cur.fetchmany(250_000):
            lite.executemany(f"INSERT INTO events VALUES ({marks})", batch)
        lite.commit()
        lite.close()
        partial.rename(sqlite_path)
    return sqlite_path, parquet


def time_ours(url: str, path: tuple[str, ...]) -> tuple[float, TableProfile]:
    source = default_registry().open(SourceConfig(name="bench", url=url))
    with source:
        (obj,) = [o for o in source.describe([r for r in source.list_objects() if r.path == path])]
        assert isinstance(obj, DiscoveredObject), obj
        assert isinstance(source, Profiler)
        started = time.perf_counter()
        profile = source.profile(obj.ref, obj.columns, SamplePolicy())
        return time.perf_counter() - started, profile


def _core_sql(engine: str, relation: str, profile: TableProfile) -> str:
    parts = ["count(*)"]
    approximate = any(c.distinct_is_approximate for c in profile.columns)
    distinct = "approx_count_distinct({})" if approximate else "count(DISTINCT {})"
    approx_quantiles = any(c.quantiles_are_approximate for c in profile.columns)
    length = "length({})"
    for name, _, kind in COLUMNS:
        parts += [f"count({name})", distinct.format(name)]
        if kind in ("number", "text", "time"):
            parts += [f"min({name})", f"max({name})"]
        if kind == "number" and engine == "sqlite":  # no stddev: sum and sum of squares
            f = f"CAST({name} AS REAL)"
            parts += [f"sum({f})", f"sum({f} * {f})"]
        elif kind == "number":
            quantile = "approx_quantile" if approx_quantiles else "quantile_cont"
            parts += [f"avg({name})", f"stddev_samp({name})"]
            parts.append(f"{quantile}(CAST({name} AS DOUBLE), [0.25, 0.5, 0.75])")
        elif kind == "text":
            parts += [f"min({length.format(name)})", f"avg({length.format(name)})"]
            parts.append(f"max({length.format(name)})")
        elif kind == "time":
            epoch = f"julianday({name})" if engine == "sqlite" else f"epoch({name})"
            parts += [f"min({epoch})", f"max({epoch})"]
    return f"SELECT {', '.join(parts)} FROM {relation}"


def _histogram_sql(
    engine: str, relation: str, profile: TableProfile, bounds: dict[str, tuple[float, float]]
) -> str:
    parts = []
    for name, (low, high) in bounds.items():
        step = (high - low) / 10
        parts.append(f"count({name})")
        if engine == "duckdb":  # bin numbers, counted
            number = f"floor((CAST({name} AS DOUBLE) - ({low!r})) / {step!r})"
            parts.append(f"histogram(least(CAST({number} AS BIGINT), 9))")
        else:
            parts += [
                f"count(CASE WHEN {name} < {low + k * step!r} THEN 1 END)" for k in range(1, 10)
            ]
    if engine == "duckdb":
        parts += [f"histogram({c.name})" for c in profile.columns if c.top_values]
    return f"SELECT {', '.join(parts)} FROM {relation}"


def time_floor(engine: str, run: Any, relation: str, profile: TableProfile) -> tuple[float, float]:
    """(core, all) seconds of the hand-written statements for the figures ``profile`` has."""
    started = time.perf_counter()
    core = run(_core_sql(engine, relation, profile))[0]
    core_s = time.perf_counter() - started
    # min/max of the binned columns, read from the core row (epoch for timestamps)
    index, bounds = 1, {}
    for name, _, kind in COLUMNS:
        index += 2
        width = {"number": 4 if engine == "sqlite" else 5, "text": 5, "time": 4}.get(kind, 0)
        column = next(c for c in profile.columns if c.name == name)
        if column.histogram and kind == "number":
            bounds[name] = (float(core[index]), float(core[index + 1]))
        elif column.histogram and kind == "time":
            low, high = float(core[index + 2]), float(core[index + 3])
            expr = f"julianday({name})" if engine == "sqlite" else f"epoch({name})"
            bounds[expr] = (low, high)
        index += width
    assert len(COLUMNS) == len(profile.columns)
    run(_histogram_sql(engine, relation, profile, bounds))
    if engine == "sqlite":
        for column in profile.columns:
            if column.top_values:
                run(
                    f"SELECT {column.name}, count(*) FROM {relation} WHERE {column.name} IS NOT "
                    f"NULL GROUP BY {column.name} ORDER BY 2 DESC, 1 LIMIT 10"
                )
    return core_s, time.perf_counter() - started


def ensure_pandas() -> Path | None:
    try:  # already importable here: use it as is
        import pandas  # noqa: F401

        return Path(sys.executable)
    except ImportError:
        pass
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        log(f"creating {PEER_VENV} and installing pandas + pyarrow (first run only)")
        venv.create(PEER_VENV, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pandas", "pyarrow"],
            check=True,
            stdout=sys.stderr,
        )
    return python


def time_pandas(kind: str, path: Path) -> dict[str, Any]:
    python = ensure_pandas()
    assert python is not None
    done = subprocess.run(
        [str(python), "-c", PANDAS_RUNNER, kind, str(path)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_engine(engine: str, path: Path, with_pandas: bool, repeat: int) -> dict[str, Any]:
    if engine == "sqlite":
        url, ref, relation = f"sqlite:///{path}", ("main", "events"), "events"
        con: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        run = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        run("SELECT count(*), max(length(email)), max(note) FROM events")  # warm the page cache
        floor_engine = "sqlite"
    else:
        url, ref = f"file://{path.parent}", (path.name,)
        relation = f"read_parquet('{path}')"
        con = duckdb.connect()
        run = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        floor_engine = "duckdb"
    ours_s = core_s = floor_s = float("inf")
    for round_ in range(repeat):  # interleaved, best of each: the machine may be busy
        seconds, profile = time_ours(url, ref)
        ours_s = min(ours_s, seconds)
        core, floor = time_floor(floor_engine, run, relation, profile)
        core_s, floor_s = min(core_s, core), min(floor_s, floor)
        log(f"{engine} {round_ + 1}/{repeat}: ours {seconds:.2f}s, floor {floor:.2f}s")
    con.close()
    figures: dict[str, Any] = {
        "rows": profile.row_count,
        "profile_s": round(ours_s, 2),
        "floor_core_s": round(core_s, 2),
        "floor_s": round(floor_s, 2),
        "ratio_to_floor": round(ours_s / floor_s, 2),
        "ratio_to_floor_core": round(ours_s / core_s, 2),
        "top_values_columns": [c.name for c in profile.columns if c.top_values],
        "histogram_columns": [c.name for c in profile.columns if c.histogram],
        "approximate_distinct": any(c.distinct_is_approximate for c in profile.columns),
        "approximate_quantiles": any(c.quantiles_are_approximate for c in profile.columns),
        "notes": profile.notes,
    }
    if with_pandas:
        runs = []
        for round_ in range(repeat):
            runs.append(time_pandas("sqlite" if engine == "sqlite" else "parquet", path))
            log(f"{engine} {round_ + 1}/{repeat}: pandas {runs[-1]}")
        peer = min(runs, key=lambda run: float(run["load_s"] + run["compute_s"]))
        pandas_s = peer["load_s"] + peer["compute_s"]
        figures |= {
            "pandas": f"pandas {peer['version']}",
            "pandas_load_s": round(peer["load_s"], 2),
            "pandas_compute_s": round(peer["compute_s"], 2),
            "pandas_s": round(pandas_s, 2),
            "pandas_over_profile": round(pandas_s / ours_s, 1),
            "pandas_compute_over_profile": round(peer["compute_s"] / ours_s, 1),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engines", default="sqlite,parquet")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas peer")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (Parquet)")
    parser.add_argument(
        "--sqlite-repeat", type=int, default=1, help="best of N runs (SQLite: minutes each)"
    )
    args = parser.parse_args()
    sqlite_path, parquet = generate(args.rows)
    figures: dict[str, Any] = {
        "bench": "profiling",
        "rows": args.rows,
        "columns": len(COLUMNS),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "duckdb": duckdb.__version__,
        "sqlite": sqlite3.sqlite_version,
    }
    for engine in args.engines.split(","):
        path = sqlite_path if engine == "sqlite" else parquet
        repeat = args.sqlite_repeat if engine == "sqlite" else args.repeat
        figures[engine] = bench_engine(engine, path, not args.no_pandas, repeat)
        figures[engine]["repeat"] = repeat
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
