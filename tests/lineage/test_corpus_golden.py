"""Every table- and column-level case of the lineage corpora, as a golden test.

Cases listed in ``known_failures.py`` are strict xfails: a regression and an unexpected fix
both show.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.lineage.corpus import edges, expected_tables, load_cases, run, tables
from tests.lineage.known_failures import KNOWN_FAILURES


def _params() -> list[Any]:
    params = []
    for case in load_cases():
        marks = []
        if case["id"] in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[case["id"]], strict=True))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


CASES = _params()


def test_corpora_are_present() -> None:
    assert len(CASES) > 700, "lineage corpora not found; set SOUNDING_CORPORA"


def test_every_known_failure_is_a_case() -> None:
    ids = {case["id"] for case in load_cases()}
    assert set(KNOWN_FAILURES) <= ids


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    result = run(case)
    if case["level"] == "table":
        assert tables(result, case) == expected_tables(case), result["errors"]
    else:
        want = edges(case["expected_column_lineage"] or [], case)
        assert edges(result["column_lineage"], case) == want, result["errors"]
