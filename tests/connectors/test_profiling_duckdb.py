"""Profiling and sampling with DuckDB: DuckDB files, CSV and Parquet datasets."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import sounding.connectors.profiling_duckdb as profiling_duckdb
from sounding.domain.profiling import SamplePolicy, TableProfile
from sounding.errors import ObjectScanError
from tests.connectors.helpers import discover, open_source
from tests.connectors.test_profiling_known import (
    KNOWN_ROWS,
    KNOWN_TABLE,
    by_name,
    check_known,
)

KNOWN_DDL = (
    'CREATE TABLE "Odd ""Table"" %.x" (id INTEGER, "Amount €" DECIMAL(10,2), "na.me" VARCHAR, '
    "created DATE, ts TIMESTAMP, flag BOOLEAN, tags VARCHAR[], b BLOB)"
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    con = duckdb.connect(str(root / "shop.duckdb"))
    con.execute(KNOWN_DDL)
    con.executemany(
        'INSERT INTO "Odd ""Table"" %.x" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [(*row, ["x"] if row[0] < 3 else None, None) for row in KNOWN_ROWS],
    )
    con.execute(
        "CREATE TABLE big AS SELECT range AS id, range % 7 AS seven, 'v' || (range % 100) AS label,"
        " (range % 1000) / 10.0 AS amount FROM range(10000)"
    )
    con.execute("CREATE VIEW big_view AS SELECT * FROM big WHERE seven < 3")
    files = root / "files"
    files.mkdir()
    known = 'SELECT * EXCLUDE (tags, b) FROM "Odd ""Table"" %.x"'
    con.execute(f"COPY ({known}) TO '{files}/it''s known.csv' (HEADER)")
    con.execute(f"COPY ({known}) TO '{files}/known.parquet' (FORMAT parquet)")
    con.execute(f"COPY big TO '{files}/big.parquet' (FORMAT parquet)")
    con.close()
    return root


def _profile(url: str, path: tuple[str, ...], policy: str = "full") -> TableProfile:
    with open_source(url) as source:
        found, failed = discover(source)
        assert not failed
        obj = found[path]
        profile: TableProfile = source.profile(obj.ref, obj.columns, SamplePolicy.parse(policy))
        return profile


def test_known_table_exact_figures(shop: Path) -> None:
    profile = _profile(f"duckdb:///{shop}/shop.duckdb", ("shop", "main", KNOWN_TABLE))
    check_known(profile)
    cols = by_name(profile)
    assert (cols["tags"].kind, cols["tags"].null_count, cols["tags"].distinct_count) == (
        "other",
        3,
        1,
    )
    assert (cols["b"].kind, cols["b"].null_count, cols["b"].distinct_count) == ("binary", 5, 0)
    assert not any(
        c.distinct_is_approximate or c.quantiles_are_approximate for c in profile.columns
    )


@pytest.mark.parametrize("name", ["it's known.csv", "known.parquet"])
def test_known_files_exact_figures(shop: Path, name: str) -> None:
    profile = _profile(f"file://{shop}/files", (name,))
    check_known(profile)


def test_big_tables_get_approximate_figures_and_say_so(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiling_duckdb, "EXACT_DISTINCT_MAX_ROWS", 1000)
    monkeypatch.setattr(profiling_duckdb, "EXACT_QUANTILES_MAX_ROWS", 5000)
    for url, path in [
        (f"duckdb:///{shop}/shop.duckdb", ("shop", "main", "big")),
        (f"file://{shop}/files", ("big.parquet",)),
    ]:
        profile = _profile(url, path)
        cols = by_name(profile)
        assert cols["seven"].distinct_is_approximate and cols["amount"].quantiles_are_approximate
        assert cols["seven"].distinct_count == 7
        assert cols["amount"].quantiles == pytest.approx(
            {"p25": 25.0, "p50": 50.0, "p75": 75.0}, abs=1.0
        )
        assert profile.notes[:2] == [
            "distinct counts are approximate (HyperLogLog): over 1000 rows",
            "quantiles are approximate (t-digest): over 5000 rows",
        ]
        assert sum(t["count"] for t in cols["seven"].top_values) == 10000


def _consistent(profile: TableProfile) -> None:
    cols = by_name(profile)
    assert sum(t["count"] for t in cols["seven"].top_values) == profile.sampled_rows
    histogram = cols["amount"].histogram
    assert histogram is not None
    assert sum(b["count"] for b in histogram) == profile.sampled_rows


@pytest.mark.parametrize(
    ("url", "path"),
    [("duckdb:///{}/shop.duckdb", ("shop", "main", "big")), ("file://{}/files", ("big.parquet",))],
)
def test_duckdb_samples(shop: Path, url: str, path: tuple[str, ...]) -> None:
    percent = _profile(url.format(shop), path, "10%")
    assert percent.sample_method == "USING SAMPLE 10.0 PERCENT (bernoulli, 42)"
    assert percent.row_count == 10000
    assert 800 <= percent.sampled_rows <= 1200
    _consistent(percent)
    capped = _profile(url.format(shop), path, "500")
    assert capped.sample_method == "USING SAMPLE reservoir(500 ROWS) REPEATABLE (42)"
    assert (capped.row_count, capped.sampled_rows) == (10000, 500)
    _consistent(capped)


def test_views_profile_and_sample(shop: Path) -> None:
    url = f"duckdb:///{shop}/shop.duckdb"
    profile = _profile(url, ("shop", "main", "big_view"))
    assert profile.row_count == sum(1 for i in range(10000) if i % 7 < 3)
    assert by_name(profile)["seven"].top_values == [
        {"value": 0, "count": 1429},
        {"value": 1, "count": 1429},
        {"value": 2, "count": 1429},
    ]


def test_sample_values(shop: Path) -> None:
    with open_source(f"duckdb:///{shop}/shop.duckdb") as source:
        found, _ = discover(source)
        known = found["shop", "main", KNOWN_TABLE]
        values = source.sample(known.ref, ["na.me", "Amount €", "ts", "gone"], limit=2)
    assert values == {
        "na.me": ["alpha", "beta"],
        "Amount €": [10, 20],
        "ts": ["2024-01-01T00:00:00", "2024-01-01T06:00:00"],
        "gone": [],
    }
    with open_source(f"file://{shop}/files") as source:
        found, _ = discover(source)
        big = found["big.parquet",]
        assert source.sample(big.ref, ["label"], limit=3)["label"] == ["v0", "v1", "v10"]
        assert len(source.sample(big.ref, ["id"])["id"]) == 1000


def test_a_missing_dataset_is_an_object_error(shop: Path) -> None:
    with open_source(f"file://{shop}/files") as source:
        found, _ = discover(source)
        big = found["big.parquet",]
        (shop / "files" / "big.parquet").rename(shop / "files" / "moved.parquet")
        try:
            with pytest.raises(ObjectScanError, match=r"'big\.parquet'"):
                source.profile(big.ref, big.columns, SamplePolicy())
        finally:
            (shop / "files" / "moved.parquet").rename(shop / "files" / "big.parquet")
