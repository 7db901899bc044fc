"""Our own golden cases for the kinds of SQL the held-back corpora caught us missing (#17):
Snowflake stages, table-valued functions, DDL with dialect table options (and streams), window
functions. Each case names the documentation it was written from (``origin``);
``bench/lineage_eval.py`` scores them per kind.

Column cases compare edge kinds too: a window function's ``PARTITION BY``/``ORDER BY`` columns
are ``window`` edges, its value arguments direct ones.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sounding.lineage.parse import parse_lineage
from tests.lineage.corpus import norm

KINDS = Path(__file__).resolve().parents[1] / "golden" / "lineage_kinds.jsonl"
CASES = [json.loads(line) for line in KINDS.read_text().splitlines() if line.strip()]


def test_at_least_ten_cases_per_kind() -> None:
    counts = Counter(case["kind"] for case in CASES)
    assert set(counts) == {"stage", "table_function", "ddl", "window"}
    assert min(counts.values()) >= 10, counts


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_kind_case(case: dict[str, Any]) -> None:
    result = parse_lineage(case["sql"], dialect=case["dialect"], schema=case.get("metadata_schema"))
    assert not result.errors, result.errors
    if case["level"] == "table":
        assert {norm(n) for n in result.sources} == {norm(n) for n in case["expected_sources"]}
        assert {norm(n) for n in result.targets} == {norm(n) for n in case["expected_targets"]}
        want = {norm(k): v for k, v in (case.get("expected_locations") or {}).items()}
        assert {norm(k): v for k, v in result.locations.items()} == want
    else:
        got = {
            (norm(e.source_table), e.source_column, norm(e.target_table), e.target_column, e.kind)
            for e in result.column_lineage
            if e.kind != "filter"
        }
        want_edges = {
            (
                norm(e["source_table"]),
                e["source_column"],
                norm(e["target_table"]),
                e["target_column"],
                e["kind"],
            )
            for e in case["expected_column_lineage"]
        }
        assert got == want_edges
