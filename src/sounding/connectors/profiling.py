"""Shared SQL for profiling: column kinds, the one aggregate pass, histogram and top-value queries.

A profile is computed by the engine, never by pulling rows into Python. Every engine runs:

1. **one aggregate SELECT** over the (sampled) table: ``count(*)`` and, per column, non-null
   count, distinct count, min/max, mean/stddev, quantiles (where the engine has an aggregate
   for them), min/avg/max text length, and min/max of temporal values as epoch seconds;
2. **one histogram SELECT** for every numeric and temporal column at once: equal-width bins
   from step 1's min/max, counted with ``count(CASE WHEN x < edge THEN 1 END)`` per edge (on
   DuckDB, ``histogram()`` of each value's bin number; the value counts of low-cardinality
   columns come from the same pass, ``histogram(x)``);
3. **top values**: one ``GROUP BY`` per low-cardinality column (never for unique columns);
4. **quantiles by sorting** (``row_number() OVER (ORDER BY x)``), one per numeric column, only
   on engines without a percentile aggregate (SQLite, MySQL/MariaDB) and only for small columns.

What each engine supports is described by a :class:`SqlDialect`; identifiers are always quoted
by the dialect's own quoting function, and the only literals in the SQL are numbers we made.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

from sounding.domain.assets import DiscoveredColumn
from sounding.domain.dialects import Dialect

QUANTILES = (0.25, 0.5, 0.75)
HISTOGRAM_BINS = 10
TOP_VALUES = 10
TOP_VALUES_MAX_DISTINCT = 10_000
"""Top values are computed for columns with at most this many distinct values..."""
SMALL_TABLE_ROWS = 100_000
"""... or for any non-unique column when the profiled rows are at most this many."""
QUANTILE_SORT_MAX_ROWS = 100_000
"""Engines without a percentile aggregate sort a column for its quantiles only up to this."""
SAMPLE_SCAN_ROWS = 100_000
"""``sample()`` ranks values by frequency among at most this many rows of a column."""


class Kind(StrEnum):
    """What a column's type lets us compute."""

    INTEGER = "integer"
    NUMBER = "number"  # float, real, decimal
    TEXT = "text"
    DATE = "date"
    TIMESTAMP = "timestamp"
    ORDERED = "ordered"  # comparable but not numeric: time, year, SQLite's untyped columns
    BOOLEAN = "boolean"
    BINARY = "binary"
    OTHER = "other"  # json, arrays, structs, geometry, intervals...


NUMERIC = frozenset({Kind.INTEGER, Kind.NUMBER})
TEMPORAL = frozenset({Kind.DATE, Kind.TIMESTAMP})
WITH_MIN_MAX = NUMERIC | TEMPORAL | {Kind.TEXT, Kind.ORDERED}
WITH_TOP_VALUES = WITH_MIN_MAX | {Kind.BOOLEAN}

_OTHER_MARKS = (
    "json", "xml", "[]", "array", "struct", "map(", "union(", "geometry", "geography", "point",
    "polygon", "line", "interval", "hstore", "vector", "range", "money", "bit(", "bit varying",
    "uuid",  # PostgreSQL has no min/max for it
)  # fmt: skip


def column_kind(data_type: str) -> Kind:
    """The kind of a declared type, for any of our engines (SQLite affinity rules first)."""
    t = data_type.strip().lower()
    if t.startswith(("enum(", "set(")):
        return Kind.TEXT
    if t.startswith("bool") or t in ("tinyint(1)", "bit", "bit(1)"):
        return Kind.BOOLEAN
    if not t:
        return Kind.ORDERED  # SQLite column without a type: anything goes, min/max still work
    if any(mark in t for mark in _OTHER_MARKS):
        return Kind.OTHER
    if "int" in t:
        return Kind.INTEGER
    if any(mark in t for mark in ("char", "clob", "text", "string", "citext")):
        return Kind.TEXT
    if any(mark in t for mark in ("blob", "bytea", "binary", "image", "bytes")):
        return Kind.BINARY
    if any(mark in t for mark in ("real", "floa", "doub", "numeric", "decimal", "number")):
        return Kind.NUMBER
    if "timestamp" in t or "datetime" in t:
        return Kind.TIMESTAMP
    if t.startswith("date"):
        return Kind.DATE
    if t.startswith(("time", "year")):
        return Kind.ORDERED
    return Kind.OTHER


class QuantileMethod(StrEnum):
    AGGREGATE = "aggregate"  # percentile_cont / quantile_cont in the one pass
    SORT = "sort"  # row_number() over the sorted column, small columns only


@dataclass(frozen=True)
class SqlDialect:
    """What one engine can compute, and how it spells it. Templates take one ``{}``."""

    name: str
    quote: Callable[[str], str]
    float_type: str
    length: str  # "{}" -> character length
    epoch: str  # "{}" -> seconds since 1970 as a number, for dates and timestamps
    quantiles: QuantileMethod
    quantile: str | None = None  # "{}" -> list of QUANTILES, exact
    approx_quantile: str | None = None  # same, approximate
    stddev: bool = True  # stddev_samp(); else computed from sum and sum of squares
    approx_distinct: str | None = None  # function name, e.g. approx_count_distinct
    value_counts: str | None = None  # aggregate giving a value -> count map (DuckDB histogram)
    value_histogram: bool = False  # histograms as histogram(bin number): DuckDB
    no_equality: frozenset[str] = frozenset()  # types that cannot be counted DISTINCT

    def countable(self, data_type: str) -> bool:
        base = data_type.strip().lower().removesuffix("[]").split("(")[0].strip()
        return base not in self.no_equality


def profiling_dialect(dialect: Dialect, quote: Callable[[str], str] | None = None) -> SqlDialect:
    """What the profiler needs of a registered backend (``quote``: the driver's own quoting
    when it differs from the backend's plain one, e.g. SQLAlchemy's, which doubles ``%``)."""
    spelled = dialect.profiling
    quantiles = ", ".join(str(q) for q in QUANTILES)

    def filled(template: str | None) -> str | None:
        return None if template is None else template.replace("{quantiles}", quantiles)

    return SqlDialect(
        dialect.name,
        quote or dialect.quote,
        float_type=spelled.float_type,
        length=spelled.length,
        epoch=spelled.epoch,
        quantiles=QuantileMethod.AGGREGATE if spelled.quantile else QuantileMethod.SORT,
        quantile=filled(spelled.quantile),
        approx_quantile=filled(spelled.approx_quantile),
        stddev=spelled.stddev,
        approx_distinct=spelled.approx_distinct,
        value_counts=spelled.value_counts,
        value_histogram=spelled.value_histogram,
        no_equality=spelled.no_equality,
    )


ALIAS = "t"
"""Every query reads ``FROM source AS t`` and names columns ``t."name"``: qualified, so that a
column dropped since discovery is an error and never (SQLite) a string literal."""


@dataclass(frozen=True)
class ColumnPlan:
    index: int
    name: str
    kind: Kind
    sql: str  # t."name"
    countable: bool = True  # the engine can count its distinct values


def column_sql(dialect: SqlDialect, name: str) -> str:
    return f"{ALIAS}.{dialect.quote(name)}"


def plan_columns(dialect: SqlDialect, columns: Sequence[DiscoveredColumn]) -> list[ColumnPlan]:
    return [
        ColumnPlan(
            i,
            c.name,
            column_kind(c.data_type),
            column_sql(dialect, c.name),
            dialect.countable(c.data_type),
        )
        for i, c in enumerate(columns)
    ]


class Level(IntEnum):
    """How much to ask of a column; a column that fails is retried one level lower."""

    NULLS = 0
    BASIC = 1  # + distinct
    FULL = 2


@dataclass(frozen=True)
class Approximate:
    """Which figures to take from the engine's approximate aggregates (if it has them)."""

    distinct: bool = False
    quantiles: bool = False


Key = tuple[int, str]  # (column index, statistic); (-1, "rows") is count(*)


@dataclass(frozen=True)
class Query:
    sql: str
    keys: tuple[Key, ...]

    def parse(self, row: Sequence[Any]) -> dict[Key, Any]:
        return dict(zip(self.keys, row, strict=True))


def _select(items: Sequence[tuple[str, Key]], source: str) -> Query:
    sql = "SELECT " + ", ".join(expr for expr, _ in items) + f" FROM {source} AS {ALIAS}"
    return Query(sql, tuple(key for _, key in items))


def as_float(dialect: SqlDialect, expr: str) -> str:
    return f"CAST({expr} AS {dialect.float_type})"


def _column_aggregates(
    dialect: SqlDialect, plan: ColumnPlan, level: Level, approx: Approximate, distinct: bool
) -> list[tuple[str, Key]]:
    i, x, kind = plan.index, plan.sql, plan.kind
    items = [(f"count({x})", (i, "nonnull"))]
    if level >= Level.BASIC and distinct and plan.countable:
        if approx.distinct and dialect.approx_distinct:
            items.append((f"{dialect.approx_distinct}({x})", (i, "distinct")))
        else:
            items.append((f"count(DISTINCT {x})", (i, "distinct")))
    if level < Level.FULL:
        return items
    if kind in WITH_MIN_MAX:
        items += [(f"min({x})", (i, "min")), (f"max({x})", (i, "max"))]
    if kind in NUMERIC:
        f = as_float(dialect, x)
        if dialect.stddev:
            items += [(f"avg({f})", (i, "mean")), (f"stddev_samp({f})", (i, "stddev"))]
        else:
            items += [(f"sum({f})", (i, "sum")), (f"sum({f} * {f})", (i, "sumsq"))]
        template = dialect.approx_quantile if approx.quantiles else dialect.quantile
        if dialect.quantiles == QuantileMethod.AGGREGATE and template:
            items.append((template.format(f), (i, "quantiles")))
    elif kind == Kind.TEXT:
        length = dialect.length.format(x)
        items += [
            (f"min({length})", (i, "minlen")),
            (f"avg({as_float(dialect, length)})", (i, "avglen")),
            (f"max({length})", (i, "maxlen")),
        ]
    elif kind in TEMPORAL:
        epoch = dialect.epoch.format(x)
        items += [(f"min({epoch})", (i, "emin")), (f"max({epoch})", (i, "emax"))]
    return items


def core_query(
    dialect: SqlDialect,
    source: str,
    plans: Sequence[ColumnPlan],
    *,
    level: Level = Level.FULL,
    approx: Approximate | None = None,
    distinct: bool = True,
) -> Query:
    """The one aggregate pass: ``count(*)`` and every column's statistics."""
    items: list[tuple[str, Key]] = [("count(*)", (-1, "rows"))]
    for plan in plans:
        items += _column_aggregates(dialect, plan, level, approx or Approximate(), distinct)
    return _select(items, source)


@dataclass(frozen=True)
class Bins:
    """Equal-width bins: ``edges`` has one more item than there are bins; a value v is in bin
    i when ``edges[i] <= v < edges[i + 1]`` (the last bin also holds the maximum)."""

    plan: ColumnPlan
    expr: str  # what is compared with the edges (the column, or its epoch seconds/days)
    edges: tuple[float, ...]
    labels: tuple[tuple[Any, Any], ...]  # (low, high) shown for each bin


def make_bins(dialect: SqlDialect, plan: ColumnPlan, stats: dict[str, Any]) -> Bins | None:
    """Bins from the min/max the aggregate pass found; None when there is nothing to bin."""
    kind, x = plan.kind, plan.sql
    if kind in NUMERIC:
        lo, hi, expr = stats.get("min"), stats.get("max"), x
    elif kind == Kind.DATE:
        lo, hi = _floor(stats.get("emin"), 86400), _floor(stats.get("emax"), 86400)
        expr = f"({dialect.epoch.format(x)} / 86400.0)"
    elif kind == Kind.TIMESTAMP:
        lo, hi, expr = stats.get("emin"), stats.get("emax"), dialect.epoch.format(x)
    else:
        return None
    lo, hi = _number(lo), _number(hi)
    if lo is None or hi is None or hi < lo:
        return None
    if kind in (Kind.INTEGER, Kind.DATE) and float(lo).is_integer() and float(hi).is_integer():
        lo, hi = int(lo), int(hi)
        span = hi - lo + 1
        width = math.ceil(span / HISTOGRAM_BINS)
        count = math.ceil(span / width)
        edges = [lo + k * width for k in range(count)] + [hi + 1]
        pairs = [(edges[k], edges[k + 1] - 1) for k in range(count)]
        labels = [(_label(kind, a), _label(kind, b)) for a, b in pairs]
        return Bins(plan, expr, tuple(float(e) for e in edges), tuple(labels))
    if hi == lo:
        return Bins(plan, expr, (float(lo), float(hi)), ((_label(kind, lo), _label(kind, hi)),))
    step = (float(hi) - float(lo)) / HISTOGRAM_BINS
    floats = [float(lo) + k * step for k in range(HISTOGRAM_BINS)] + [float(hi)]
    shown = Kind.NUMBER if kind == Kind.INTEGER else kind
    labels = [
        (_label(shown, floats[k]), _label(shown, floats[k + 1])) for k in range(HISTOGRAM_BINS)
    ]
    return Bins(plan, expr, tuple(floats), tuple(labels))


def _floor(value: Any, unit: int) -> int | None:
    number = _number(value)
    return None if number is None else math.floor(number / unit)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, int):
        return value
    number = float(value)
    if not math.isfinite(number):
        return None
    return int(number) if isinstance(value, Decimal) and number.is_integer() else number


def _label(kind: Kind, value: float) -> Any:
    if kind == Kind.DATE:
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(value))).isoformat()
    if kind == Kind.TIMESTAMP:
        return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=value)).isoformat()
    return int(value) if kind == Kind.INTEGER else value


def _literal(edge: float) -> str:
    return str(int(edge)) if edge.is_integer() and abs(edge) < 2**53 else repr(edge)


def histogram_query(
    dialect: SqlDialect, source: str, bins: Sequence[Bins], value_counts: Sequence[ColumnPlan]
) -> Query:
    """One pass for every histogram: ``count(x)`` and ``count(x < edge)`` per inner edge; plus,
    where the dialect has it, the value -> count map of each low-cardinality column."""
    items: list[tuple[str, Key]] = []
    for b in bins:
        i, inner = b.plan.index, b.edges[1:-1]
        items.append((f"count({b.expr})", (i, "binned")))
        if dialect.value_histogram and inner:  # bin number floor((x - low) / width), counted
            low, width, last = b.edges[0], b.edges[1] - b.edges[0], len(inner)
            number = f"floor(({as_float(dialect, b.expr)} - ({low!r})) / {width!r})"
            items.append((f"histogram(least(CAST({number} AS BIGINT), {last}))", (i, "bins")))
            continue
        for k, edge in enumerate(inner, start=1):
            items.append(
                (f"count(CASE WHEN {b.expr} < {_literal(edge)} THEN 1 END)", (i, f"lt{k}"))
            )
    for plan in value_counts:
        assert dialect.value_counts is not None
        items.append((f"{dialect.value_counts}({plan.sql})", (plan.index, "value_counts")))
    return _select(items, source)


def histogram_counts(b: Bins, stats: dict[Key, Any]) -> list[dict[str, Any]]:
    """Bin counts from the cumulative ``count(x < edge)`` figures."""
    i, inner = b.plan.index, b.edges[1:-1]
    cumulative = [0]
    if (i, "bins") in stats:
        counts = {int(k): int(v) for k, v in stats[i, "bins"].items()}
        for k in range(len(inner)):
            cumulative.append(cumulative[-1] + counts.get(k, 0))
    else:
        cumulative += [int(stats[i, f"lt{k}"]) for k in range(1, len(inner) + 1)]
    cumulative.append(int(stats[i, "binned"]))
    return [
        {"low": low, "high": high, "count": cumulative[k + 1] - cumulative[k]}
        for k, (low, high) in enumerate(b.labels)
    ]


def top_values_query(source: str, plan: ColumnPlan, limit: int = TOP_VALUES) -> str:
    x = plan.sql
    return (
        f"SELECT {x}, count(*) FROM {source} AS {ALIAS} WHERE {x} IS NOT NULL "
        f"GROUP BY {x} ORDER BY 2 DESC, 1 LIMIT {int(limit)}"
    )


def quantile_ranks(n: int) -> dict[float, tuple[int, int, float]]:
    """For ``percentile_cont`` semantics: quantile -> (lower rank, upper rank, fraction), ranks
    1-based as ``row_number()`` gives them."""
    ranks: dict[float, tuple[int, int, float]] = {}
    for q in QUANTILES:
        position = q * (n - 1)
        low = math.floor(position)
        ranks[q] = (low + 1, math.ceil(position) + 1, position - low)
    return ranks


def quantile_sort_query(dialect: SqlDialect, source: str, plan: ColumnPlan, n: int) -> str:
    f = as_float(dialect, plan.sql)
    wanted = sorted({r for low, high, _ in quantile_ranks(n).values() for r in (low, high)})
    ranks = ", ".join(map(str, wanted))
    return (
        f"SELECT rn, v FROM (SELECT {f} AS v, row_number() OVER (ORDER BY {f}) AS rn "
        f"FROM {source} AS {ALIAS} WHERE {plan.sql} IS NOT NULL) q WHERE rn IN ({ranks})"
    )


def interpolate_quantiles(n: int, values: dict[int, Any]) -> dict[str, float] | None:
    result: dict[str, float] = {}
    for q, (low, high, fraction) in quantile_ranks(n).items():
        a, b = _number(values.get(low)), _number(values.get(high))
        if a is None or b is None:
            return None
        result[quantile_key(q)] = float(a) + (float(b) - float(a)) * fraction
    return result


def quantile_key(q: float) -> str:
    return f"p{round(q * 100)}"


def sample_values_query(source: str, column: str, limit: int) -> str:
    """Distinct non-null values of ``column`` (t."name"), most frequent first among the first
    SAMPLE_SCAN_ROWS."""
    scan = max(SAMPLE_SCAN_ROWS, 10 * limit)
    return (
        f"SELECT q.v FROM (SELECT {column} AS v FROM {source} AS {ALIAS} "
        f"WHERE {column} IS NOT NULL LIMIT {scan}) q "
        f"GROUP BY q.v ORDER BY count(*) DESC, 1 LIMIT {int(limit)}"
    )


def sample_rows_query(source: str, columns: Sequence[str], limit: int) -> str:
    """The first ``max(10 * limit, 10_000)`` rows of all ``columns`` at once: one bounded read
    per table instead of one grouped query per column."""
    scan = max(10_000, 10 * limit)
    return f"SELECT {', '.join(columns)} FROM {source} AS {ALIAS} LIMIT {scan}"


def plain_values_query(source: str, column: str, limit: int) -> str:
    """Fallback for types that cannot be grouped (PostgreSQL json): any non-null values."""
    return (
        f"SELECT {column} FROM {source} AS {ALIAS} WHERE {column} IS NOT NULL "
        f"LIMIT {int(limit) * 5}"
    )
