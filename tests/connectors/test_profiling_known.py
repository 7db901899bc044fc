"""Profiling building blocks, and the known table every engine's profile is checked against.

``KNOWN_ROWS`` is loaded into SQLite, PostgreSQL, MariaDB, DuckDB and files by the engine test
modules (``test_profiling_*.py``), under names that need quoting; ``check_known`` asserts the
figures worked out by hand below.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

import pytest

from sounding.connectors.profiling import (
    ColumnPlan,
    Kind,
    column_kind,
    make_bins,
    quantile_ranks,
)
from sounding.connectors.profiling_duckdb import DUCKDB
from sounding.connectors.profiling_values import json_safe
from sounding.domain.profiling import ColumnProfile, TableProfile

KNOWN_TABLE = 'Odd "Table" %.x'
KNOWN_COLUMNS = ("id", "Amount €", "na.me", "created", "ts", "flag")
KNOWN_ROWS: list[tuple[Any, ...]] = [
    (1, Decimal("10.00"), "alpha", dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 0), True),
    (2, Decimal("20.00"), "beta", dt.date(2024, 1, 2), dt.datetime(2024, 1, 1, 6), False),
    (3, Decimal("30.00"), "alpha", dt.date(2024, 1, 3), dt.datetime(2024, 1, 1, 12), True),
    (4, None, None, None, None, None),
    (5, Decimal("40.00"), "gamma", dt.date(2024, 1, 10), dt.datetime(2024, 1, 2, 0), True),
]


def by_name(profile: TableProfile) -> dict[str, ColumnProfile]:
    return {c.name: c for c in profile.columns}


def check_known(profile: TableProfile, *, true: Any = True, false: Any = False) -> None:
    """The figures of KNOWN_ROWS, worked out by hand; ``true``/``false`` as the engine keeps
    booleans (1/0 on SQLite and MariaDB)."""
    json.dumps(profile.to_dict())  # JSON-safe throughout
    assert (profile.row_count, profile.sampled_rows, profile.sample_method) == (5, 5, "full")
    cols = by_name(profile)
    assert list(cols)[: len(KNOWN_COLUMNS)] == list(KNOWN_COLUMNS)

    ident = cols["id"]
    assert (ident.kind, ident.null_count, ident.distinct_count) == ("integer", 0, 5)
    assert (ident.min, ident.max, ident.mean) == (1, 5, 3.0)
    assert ident.stddev == pytest.approx(math.sqrt(2.5))
    assert ident.quantiles == {"p25": 2.0, "p50": 3.0, "p75": 4.0}
    assert ident.top_values == []  # unique
    assert ident.histogram == [{"low": k, "high": k, "count": 1} for k in range(1, 6)]

    amount = cols["Amount €"]
    assert (amount.kind, amount.null_count, amount.null_ratio) == ("number", 1, 0.2)
    assert (amount.distinct_count, amount.min, amount.max, amount.mean) == (4, 10, 40, 25.0)
    assert amount.stddev == pytest.approx(math.sqrt(500 / 3))  # sample standard deviation
    assert amount.quantiles == pytest.approx({"p25": 17.5, "p50": 25.0, "p75": 32.5})
    assert amount.histogram is not None
    assert [b["count"] for b in amount.histogram] == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert amount.histogram[0] == {"low": 10.0, "high": 13.0, "count": 1}
    assert amount.histogram[-1]["high"] == 40.0

    name = cols["na.me"]
    assert (name.kind, name.null_count, name.distinct_count) == ("text", 1, 3)
    assert (name.min, name.max) == ("alpha", "gamma")
    assert (name.min_length, name.avg_length, name.max_length) == (4, 4.75, 5)
    assert name.top_values == [
        {"value": "alpha", "count": 2},
        {"value": "beta", "count": 1},
        {"value": "gamma", "count": 1},
    ]
    assert name.mean is None and name.histogram is None

    created = cols["created"]
    assert (created.kind, created.null_count, created.distinct_count) == ("date", 1, 4)
    assert (created.min, created.max) == ("2024-01-01", "2024-01-10")
    assert created.histogram is not None
    assert [b["count"] for b in created.histogram] == [1, 1, 1, 0, 0, 0, 0, 0, 0, 1]
    assert created.histogram[3] == {"low": "2024-01-04", "high": "2024-01-04", "count": 0}

    ts = cols["ts"]
    assert (ts.kind, ts.null_count, ts.distinct_count) == ("timestamp", 1, 4)
    assert str(ts.min).replace(" ", "T") == "2024-01-01T00:00:00"
    assert str(ts.max).replace(" ", "T") == "2024-01-02T00:00:00"
    assert ts.histogram is not None
    assert [b["count"] for b in ts.histogram] == [1, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert ts.histogram[1] == {
        "low": "2024-01-01T02:24:00",
        "high": "2024-01-01T04:48:00",
        "count": 0,
    }

    flag = cols["flag"]
    assert (flag.null_count, flag.distinct_count, flag.min, flag.mean) == (1, 2, None, None)
    assert flag.top_values == [{"value": true, "count": 3}, {"value": false, "count": 1}]


@pytest.mark.parametrize(
    ("declared", "kind"),
    [
        ("INTEGER", Kind.INTEGER),
        ("bigint", Kind.INTEGER),
        ("int(11) unsigned", Kind.INTEGER),
        ("NUMERIC(10,2)", Kind.NUMBER),
        ("double precision", Kind.NUMBER),
        ("NVARCHAR(40)", Kind.TEXT),
        ("character varying(20)", Kind.TEXT),
        ("BLOB SUB_TYPE TEXT", Kind.TEXT),  # SQLite affinity: TEXT wins over BLOB
        ("enum('print','interval')", Kind.TEXT),
        ("BLOB", Kind.BINARY),
        ("bytea", Kind.BINARY),
        ("varbinary(16)", Kind.BINARY),
        ("DATE", Kind.DATE),
        ("DATETIME", Kind.TIMESTAMP),
        ("timestamp with time zone", Kind.TIMESTAMP),
        ("time without time zone", Kind.ORDERED),
        ("boolean", Kind.BOOLEAN),
        ("tinyint(1)", Kind.BOOLEAN),
        ("", Kind.ORDERED),
        ("jsonb", Kind.OTHER),
        ("interval", Kind.OTHER),
        ("INTEGER[]", Kind.OTHER),
        ("STRUCT(a VARCHAR)", Kind.OTHER),
        ("point", Kind.OTHER),
        ("uuid", Kind.OTHER),
    ],
)
def test_column_kinds(declared: str, kind: Kind) -> None:
    assert column_kind(declared) == kind


def test_json_safe_values() -> None:
    assert json_safe(Decimal("12.50")) == 12.5
    assert json_safe(Decimal("12.00")) == 12
    assert json_safe(Decimal("NaN")) == "NaN"
    assert json_safe(float("inf")) == "inf"
    assert json_safe(dt.date(2024, 2, 29)) == "2024-02-29"
    assert json_safe(dt.datetime(2024, 2, 29, 1, 2, 3)) == "2024-02-29T01:02:03"
    assert json_safe(b"caf\xc3\xa9") == "café"
    assert json_safe(b"\xff\x00") == "base64:/wA="
    assert json_safe("x" * 600) == "x" * 500 + "…"
    assert json_safe(dt.timedelta(minutes=1)) == 60.0


def test_integer_bins_cover_min_to_max_without_empty_tail() -> None:
    plan = ColumnPlan(0, "q", Kind.INTEGER, '"q"')
    bins = make_bins(DUCKDB, plan, {"min": 1, "max": 11})  # 11 values: width 2, 6 bins
    assert bins is not None
    assert bins.labels == ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 11))
    assert make_bins(DUCKDB, plan, {"min": None, "max": None}) is None
    single = make_bins(DUCKDB, ColumnPlan(0, "f", Kind.NUMBER, '"f"'), {"min": 2.5, "max": 2.5})
    assert single is not None and single.labels == ((2.5, 2.5),)


def test_quantile_ranks_follow_percentile_cont() -> None:
    # n = 4: positions 0.75, 1.5, 2.25 between 1-based ranks
    assert quantile_ranks(4) == {0.25: (1, 2, 0.75), 0.5: (2, 3, 0.5), 0.75: (3, 4, 0.25)}
    assert quantile_ranks(1) == {0.25: (1, 1, 0.0), 0.5: (1, 1, 0.0), 0.75: (1, 1, 0.0)}
