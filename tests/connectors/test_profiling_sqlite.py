"""Profiling and sampling SQLite: the sample databases against SQLite itself, known figures,
sampling policies, failing columns."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import sounding.connectors.profiling_run as profiling_run
from sounding.connectors.base import Profiler
from sounding.connectors.profiling import WITH_MIN_MAX, Kind
from sounding.connectors.profiling_values import json_safe
from sounding.domain.profiling import SamplePolicy
from tests.connectors.helpers import discover, open_source
from tests.connectors.test_profiling_known import (
    KNOWN_COLUMNS,
    KNOWN_ROWS,
    KNOWN_TABLE,
    by_name,
    check_known,
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def test_sample_databases_match_sqlite_itself(sample_db: Path) -> None:
    """Row, null and distinct counts and min/max of every column of every table and view are
    what SQLite answers when asked directly."""
    oracle = sqlite3.connect(sample_db)
    with open_source(f"sqlite:///{sample_db}") as source:
        assert isinstance(source, Profiler)
        found, failed = discover(source)
        assert not failed
        for path, obj in found.items():
            profile = source.profile(obj.ref, obj.columns, SamplePolicy())
            json.dumps(profile.to_dict())
            table = _q(path[-1])
            (rows,) = oracle.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert (profile.row_count, profile.sampled_rows) == (rows, rows), path
            assert [c.name for c in profile.columns] == [c.name for c in obj.columns]
            for column in profile.columns:
                x = _q(column.name)
                nonnull, distinct, low, high = oracle.execute(
                    f"SELECT count({x}), count(DISTINCT {x}), min({x}), max({x}) FROM {table}"
                ).fetchone()
                where = (path, column.name)
                assert column.null_count == rows - nonnull, where
                assert column.distinct_count == distinct, where
                assert not column.distinct_is_approximate
                if Kind(column.kind) in WITH_MIN_MAX:
                    assert (column.min, column.max) == (json_safe(low), json_safe(high)), where
                else:
                    assert (column.min, column.max) == (None, None), where
                if column.top_values:
                    top = oracle.execute(
                        f"SELECT {x}, count(*) FROM {table} WHERE {x} IS NOT NULL "
                        f"GROUP BY {x} ORDER BY 2 DESC, 1 LIMIT 10"
                    ).fetchall()
                    assert column.top_values == [
                        {"value": json_safe(v), "count": n} for v, n in top
                    ], where
                if column.histogram:
                    assert sum(b["count"] for b in column.histogram) == nonnull, where
    oracle.close()


def test_chinook_figures_beyond_counts(corpora: Path) -> None:
    db = corpora / "sample_dbs" / "chinook.sqlite"
    with open_source(f"sqlite:///{db}") as source:
        found, _ = discover(source)
        track = found["main", "Track"]
        profile = source.profile(track.ref, track.columns, SamplePolicy())
    oracle = sqlite3.connect(db)
    cols = by_name(profile)
    avg, sq = oracle.execute(
        "SELECT avg(Milliseconds), avg(Milliseconds * Milliseconds) FROM Track"
    ).fetchone()
    n = profile.row_count
    assert cols["Milliseconds"].mean == pytest.approx(avg)
    assert cols["Milliseconds"].stddev == pytest.approx(((sq - avg * avg) * n / (n - 1)) ** 0.5)
    (median,) = oracle.execute(
        "SELECT Milliseconds FROM Track ORDER BY Milliseconds LIMIT 1 OFFSET 1751"
    ).fetchone()  # 3503 rows: the median is the 1752nd
    assert cols["Milliseconds"].quantiles is not None
    assert cols["Milliseconds"].quantiles["p50"] == median
    lengths = oracle.execute("SELECT min(length(Name)), max(length(Name)) FROM Track").fetchone()
    assert (cols["Name"].min_length, cols["Name"].max_length) == lengths
    assert cols["Composer"].null_count == 977
    assert "top values skipped for unique columns: TrackId" in profile.notes
    oracle.close()


@pytest.fixture
def known_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "known.db"
    con = sqlite3.connect(path)
    con.execute(
        f"CREATE TABLE {_q(KNOWN_TABLE)} (id INTEGER PRIMARY KEY, {_q('Amount €')} DECIMAL(10,2), "
        f"{_q('na.me')} TEXT, created DATE, ts TIMESTAMP, flag BOOLEAN)"
    )
    con.executemany(
        f"INSERT INTO {_q(KNOWN_TABLE)} VALUES (?, ?, ?, ?, ?, ?)",
        [
            (i, None if a is None else float(a), n, c and c.isoformat(), t and str(t), f)
            for i, a, n, c, t, f in KNOWN_ROWS
        ],
    )
    con.execute("CREATE TABLE mixed (n INTEGER, payload TEXT)")
    con.executemany("INSERT INTO mixed VALUES (?, ?)", [(1, "{}"), (2, "not json"), ("t", "{}")])
    con.execute("CREATE VIEW broken AS SELECT n, json_extract(payload, '$.a') AS bad FROM mixed")
    con.commit()
    con.close()
    return path


def test_known_table_exact_figures(known_sqlite: Path) -> None:
    with open_source(f"sqlite:///{known_sqlite}") as source:
        found, _ = discover(source)
        obj = found["main", KNOWN_TABLE]
        assert [c.name for c in obj.columns] == list(KNOWN_COLUMNS)
        profile = source.profile(obj.ref, obj.columns, SamplePolicy())
    check_known(profile, true=1, false=0)


def test_a_failing_column_does_not_lose_the_table(known_sqlite: Path) -> None:
    """json_extract fails on the malformed row: that column keeps what could be counted."""
    with open_source(f"sqlite:///{known_sqlite}") as source:
        found, _ = discover(source)
        view = found["main", "broken"]
        profile = source.profile(view.ref, view.columns, SamplePolicy())
        mixed = found["main", "mixed"]
        mixed_profile = source.profile(mixed.ref, mixed.columns, SamplePolicy())
    assert profile.row_count == 3
    cols = by_name(profile)
    assert (cols["n"].null_count, cols["n"].distinct_count) == (0, 3)
    assert cols["bad"].null_count is None
    assert any("'bad' could not be profiled (malformed JSON)" in note for note in profile.notes)
    n = by_name(mixed_profile)["n"]  # an INTEGER column holding 't'
    assert (n.min, n.max, n.mean, n.histogram) == (1, "t", None, None)
    assert (
        "column 'n' holds values that are not numbers: no mean, stddev or quantiles"
        in mixed_profile.notes
    )


@pytest.fixture(scope="module")
def events_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "events.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, amount REAL)")
    con.execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000) "
        "INSERT INTO events SELECT i, 'k' || (i % 7), CASE WHEN i % 10 = 0 THEN NULL "
        "ELSE (i % 1000) / 10.0 END FROM s"
    )
    con.commit()
    con.close()
    return path


def _profile_events(path: Path, policy: str) -> Any:
    with open_source(f"sqlite:///{path}") as source:
        found, _ = discover(source)
        obj = found["main", "events"]
        return source.profile(obj.ref, obj.columns, SamplePolicy.parse(policy))


def _consistent(profile: Any) -> None:
    """Every pass saw the same sampled rows."""
    cols = by_name(profile)
    kind, amount = cols["kind"], cols["amount"]
    assert kind.null_count == 0
    assert sum(t["count"] for t in kind.top_values) == profile.sampled_rows
    assert sum(b["count"] for b in amount.histogram) == profile.sampled_rows - amount.null_count


def test_percent_sample(events_sqlite: Path) -> None:
    profile = _profile_events(events_sqlite, "10%")
    assert profile.policy == SamplePolicy.parse("10%")
    assert profile.sample_method == "random() filter (10%)"
    assert (profile.row_count, profile.row_count_is_estimate) == (20000, False)
    assert 1600 <= profile.sampled_rows <= 2400
    _consistent(profile)


def test_row_cap_sample(events_sqlite: Path) -> None:
    profile = _profile_events(events_sqlite, "500")
    assert profile.sample_method == "ORDER BY random() LIMIT 500"
    assert (profile.row_count, profile.sampled_rows) == (20000, 500)
    _consistent(profile)
    whole = _profile_events(events_sqlite, "50000")
    assert (whole.row_count, whole.sampled_rows, whole.sample_method) == (20000, 20000, "full")
    assert "row cap 50000 not reached (20000 rows): profiled in full" in whole.notes


def test_large_columns_are_not_sorted_for_quantiles(
    events_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiling_run, "QUANTILE_SORT_MAX_ROWS", 1000)
    profile = _profile_events(events_sqlite, "full")
    cols = by_name(profile)
    assert cols["amount"].quantiles is None and cols["amount"].mean is not None
    assert any(
        note.startswith("quantiles skipped: sqlite has no percentile aggregate")
        and note.endswith(": id, amount")
        for note in profile.notes
    )


def test_sample_returns_distinct_values_most_frequent_first(known_sqlite: Path) -> None:
    with open_source(f"sqlite:///{known_sqlite}") as source:
        found, _ = discover(source)
        obj = found["main", KNOWN_TABLE]
        values = source.sample(obj.ref, ["na.me", "Amount €", "created"], limit=2)
        everything = source.sample(obj.ref, ["na.me", "nope"])
    assert values == {
        "na.me": ["alpha", "beta"],
        "Amount €": [10, 20],
        "created": ["2024-01-01", "2024-01-02"],
    }
    assert everything == {"na.me": ["alpha", "beta", "gamma"], "nope": []}
