"""Profiling and sampling MariaDB/MySQL: known figures (quantiles by sorting), RAND(seed)
samples."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import sounding.connectors.profiling_run as profiling_run
from sounding.connectors.base import Connector
from sounding.domain.assets import DiscoveredObject
from sounding.domain.profiling import SamplePolicy, TableProfile
from tests.connectors.helpers import discover, open_source
from tests.connectors.test_profiling_known import (
    KNOWN_COLUMNS,
    KNOWN_ROWS,
    KNOWN_TABLE,
    by_name,
    check_known,
)

pytestmark = pytest.mark.mysql


@pytest.fixture
def my(mysql_url: str) -> Iterator[tuple[Connector, dict[str, DiscoveredObject]]]:
    engine = sa.create_engine(mysql_url)
    known = sa.table(KNOWN_TABLE, *(sa.column(name) for name in (*KNOWN_COLUMNS, "doc")))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            'CREATE TABLE `Odd "Table" %%.x` (id integer PRIMARY KEY, `Amount €` decimal(10,2), '
            "`na.me` text, created date, ts datetime, flag boolean, doc json)"
        )
        docs = ['{"a": 1}', '{"a": 1}', "[1]", None, None]
        conn.execute(
            sa.insert(known),
            [
                dict(zip(KNOWN_COLUMNS, row, strict=True)) | {"doc": doc}
                for row, doc in zip(KNOWN_ROWS, docs, strict=True)
            ],
        )
        conn.exec_driver_sql(
            "CREATE TABLE big (id integer PRIMARY KEY, seven integer, amount double)"
        )
        conn.exec_driver_sql(
            "INSERT INTO big SELECT seq, seq %% 7, (seq %% 1000) / 10.0 FROM seq_1_to_10000"
        )
    engine.dispose()
    with open_source(mysql_url) as source:
        found, failed = discover(source)
        assert not failed
        yield source, {path[-1]: obj for path, obj in found.items()}


def _profile(my: Any, name: str, policy: str = "full") -> TableProfile:
    source, found = my
    profile: TableProfile = source.profile(
        found[name].ref, found[name].columns, SamplePolicy.parse(policy)
    )
    return profile


def test_known_table_exact_figures(my: Any) -> None:
    profile = _profile(my, KNOWN_TABLE)
    check_known(profile, true=1, false=0)  # BOOLEAN is tinyint(1)
    doc = by_name(profile)["doc"]  # MariaDB's JSON is text
    assert (doc.null_count, doc.distinct_count, doc.top_values[0]) == (
        2,
        2,
        {"value": '{"a": 1}', "count": 2},
    )


def test_quantiles_of_large_columns_are_skipped_and_noted(
    my: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiling_run, "QUANTILE_SORT_MAX_ROWS", 4)
    profile = _profile(my, KNOWN_TABLE)
    cols = by_name(profile)
    assert cols["id"].quantiles is None  # 5 values
    assert cols["Amount €"].quantiles == {"p25": 17.5, "p50": 25.0, "p75": 32.5}  # 4 values
    assert (
        "quantiles skipped: mysql has no percentile aggregate and columns with over 4 values "
        "are not sorted for them: id" in profile.notes
    )


def _consistent(profile: TableProfile) -> None:
    cols = by_name(profile)
    assert sum(t["count"] for t in cols["seven"].top_values) == profile.sampled_rows
    histogram = cols["amount"].histogram
    assert histogram is not None
    assert sum(b["count"] for b in histogram) == profile.sampled_rows


def test_percent_and_row_cap_samples(my: Any) -> None:
    percent = _profile(my, "big", "10%")
    assert percent.sample_method == "RAND(42) filter (10%)"
    assert (percent.row_count, percent.row_count_is_estimate) == (10000, False)
    assert 800 <= percent.sampled_rows <= 1200
    _consistent(percent)
    capped = _profile(my, "big", "500")
    assert (capped.sample_method, capped.sampled_rows) == ("ORDER BY RAND(42) LIMIT 500", 500)
    _consistent(capped)


def test_sample_values(my: Any) -> None:
    source, found = my
    values = source.sample(found[KNOWN_TABLE].ref, ["na.me", "created", "flag"], limit=2)
    assert values == {
        "na.me": ["alpha", "beta"],
        "created": ["2024-01-01", "2024-01-02"],
        "flag": [1, 0],
    }
