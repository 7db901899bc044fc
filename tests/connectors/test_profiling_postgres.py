"""Profiling and sampling PostgreSQL: known figures, TABLESAMPLE, planner distinct counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import sounding.connectors.sql_postgres as sql_postgres
from sounding.connectors.base import Connector
from sounding.domain.assets import DiscoveredObject
from sounding.domain.profiling import SamplePolicy, TableProfile
from tests.connectors.helpers import discover, open_source
from tests.connectors.test_profiling_known import KNOWN_ROWS, KNOWN_TABLE, by_name, check_known

pytestmark = pytest.mark.postgres

SCHEMA = "My Schema"


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[Connector, dict[tuple[str, ...], DiscoveredObject]]]:
    engine = sa.create_engine(postgres_url)
    known = sa.table(
        KNOWN_TABLE,
        *(sa.column(name) for name in ("id", "Amount €", "na.me", "created", "ts", "flag")),
        sa.column("payload", sa.JSON(none_as_null=True)),
        sa.column("blob", sa.LargeBinary),
        schema=SCHEMA,
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{SCHEMA}"')
        conn.exec_driver_sql(
            f'CREATE TABLE "{SCHEMA}"."Odd ""Table"" %%.x" (id integer PRIMARY KEY, '
            '"Amount €" numeric(10,2), "na.me" text, created date, ts timestamp, flag boolean, '
            "payload json, blob bytea)"
        )
        payloads = [{"a": 1}, {"a": 2}, [1], None, None]
        conn.execute(
            sa.insert(known),
            [
                dict(zip(("id", "Amount €", "na.me", "created", "ts", "flag"), row, strict=True))
                | {"payload": payload, "blob": b"\x01" if row[0] == 1 else None}
                for row, payload in zip(KNOWN_ROWS, payloads, strict=True)
            ],
        )
        conn.exec_driver_sql(
            "CREATE TABLE big AS SELECT g AS id, g %% 7 AS seven, 'v' || (g %% 100) AS label, "
            "(g %% 1000) / 10.0 AS amount FROM generate_series(1, 10000) g"
        )
        conn.exec_driver_sql("ANALYZE big")
        conn.exec_driver_sql("CREATE VIEW big_view AS SELECT * FROM big")
    engine.dispose()
    with open_source(postgres_url) as source:
        found, failed = discover(source)
        assert not failed
        yield source, {path[1:]: obj for path, obj in found.items()}


def _profile(pg: Any, path: tuple[str, ...], policy: str = "full") -> TableProfile:
    source, found = pg
    obj = found[path]
    profile: TableProfile = source.profile(obj.ref, obj.columns, SamplePolicy.parse(policy))
    return profile


def test_known_table_exact_figures(pg: Any) -> None:
    profile = _profile(pg, (SCHEMA, KNOWN_TABLE))
    check_known(profile)
    cols = by_name(profile)
    payload = cols["payload"]  # json has no equality: only nulls, and a note saying why
    assert (payload.kind, payload.null_count, payload.distinct_count) == ("other", 2, None)
    assert "no distinct counts for types without equality: payload" in profile.notes
    assert not any(n.startswith("column 'payload'") for n in profile.notes)  # no failed query
    assert (cols["blob"].kind, cols["blob"].null_count, cols["blob"].distinct_count) == (
        "binary",
        4,
        1,
    )
    assert cols["blob"].top_values == [] and cols["blob"].min is None


def _consistent(profile: TableProfile) -> None:
    cols = by_name(profile)
    assert sum(t["count"] for t in cols["seven"].top_values) == profile.sampled_rows
    histogram = cols["amount"].histogram
    assert histogram is not None
    assert sum(b["count"] for b in histogram) == profile.sampled_rows


def test_percent_sample_uses_tablesample(pg: Any) -> None:
    profile = _profile(pg, ("public", "big"), "10%")
    assert profile.sample_method == "TABLESAMPLE BERNOULLI (10.0) REPEATABLE (42)"
    assert (profile.row_count, profile.row_count_is_estimate) == (10000, True)
    assert 800 <= profile.sampled_rows <= 1200
    _consistent(profile)


def test_row_cap_sample_uses_tablesample_and_limit(pg: Any) -> None:
    profile = _profile(pg, ("public", "big"), "500")
    assert profile.sample_method.startswith("TABLESAMPLE BERNOULLI (")
    assert profile.sample_method.endswith("REPEATABLE (42) LIMIT 500")
    assert profile.sampled_rows == 500
    _consistent(profile)


def test_views_are_sampled_by_row_hash(pg: Any) -> None:
    percent = _profile(pg, ("public", "big_view"), "10%")
    assert percent.sample_method == "row-hash filter (10%)"
    assert (percent.row_count, percent.row_count_is_estimate) == (10000, False)
    assert 800 <= percent.sampled_rows <= 1200
    _consistent(percent)
    capped = _profile(pg, ("public", "big_view"), "300")
    assert (capped.sample_method, capped.sampled_rows) == ("ORDER BY row hash LIMIT 300", 300)
    _consistent(capped)


def test_huge_tables_take_distinct_counts_from_the_planner(
    pg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_postgres, "PG_EXACT_DISTINCT_MAX_ROWS", 1000)
    profile = _profile(pg, ("public", "big"))
    cols = by_name(profile)
    assert all(c.distinct_is_approximate for c in profile.columns)
    assert (cols["seven"].distinct_count, cols["label"].distinct_count) == (7, 100)
    assert cols["id"].distinct_count == 10000  # n_distinct -1: every row
    assert any(n.startswith("distinct counts are the planner's estimates") for n in profile.notes)
    exact = _profile(pg, ("public", "big"), "10%")  # a sample is counted exactly
    assert not any(c.distinct_is_approximate for c in exact.columns)


def test_sample_values(pg: Any) -> None:
    source, found = pg
    known = found[SCHEMA, KNOWN_TABLE]
    values = source.sample(known.ref, ["na.me", "payload", "flag", "missing"], limit=10)
    assert values["na.me"] == ["alpha", "beta", "gamma"]
    assert values["flag"] == [True, False]
    assert sorted(map(str, values["payload"])) == ["[1]", "{'a': 1}", "{'a': 2}"]
    assert values["missing"] == []
    big = found["public", "big"]
    assert source.sample(big.ref, ["seven"], limit=3)["seven"] == [1, 2, 3]
