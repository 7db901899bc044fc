"""Rules compiled to SQL per dialect, and the score math. Pure."""

from __future__ import annotations

import pytest

from sounding.domain.quality import (
    Dimension,
    QueryTarget,
    RuleKind,
    dimension_scores,
    rule_score,
    validate_rule,
)
from sounding.features.quality import checks as sql


def test_one_aggregate_query_for_all_single_table_rules() -> None:
    rules = [
        validate_rule({"kind": "not_null", "column": "a"}),
        validate_rule({"kind": "unique", "column": "b"}),
        validate_rule({"kind": "row_count", "min": 1}),
        validate_rule({"kind": "freshness", "column": "t", "max_age": "1d"}),
    ]
    plan = sql.aggregate_query(QueryTarget("postgresql", '"public"."x"'), rules)
    assert plan.sql.count("FROM") == 1 and plan.sql.startswith("SELECT COUNT(*)")
    assert 'COUNT("b") - COUNT(DISTINCT "b")' in plan.sql and 'MAX("t")' in plan.sql
    assert plan.slots == (1, 2, None, 3)


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("sqlite", "\"e\" REGEXP '^a\\d'"),
        ("postgresql", "CAST(\"e\" AS TEXT) ~ '^a\\d'"),
        ("mysql", "CAST(`e` AS CHAR) REGEXP '(?-i)^a\\\\d'"),
        ("duckdb", "regexp_matches(CAST(\"e\" AS VARCHAR), '^a\\d')"),
    ],
)
def test_regex_per_dialect(dialect: str, expected: str) -> None:
    rule = validate_rule({"kind": "regex", "column": "e", "pattern": r"^a\d"})
    assert expected in sql.failing_condition(dialect, rule)


def test_literals_are_escaped() -> None:
    assert sql.literal("postgresql", "it's") == "'it''s'"
    assert sql.literal("mysql", "a\\b'") == "'a\\\\b'''"
    assert sql.literal("sqlite", True) == "TRUE" and sql.literal("mysql", True) == "1"
    assert sql.quote("mysql", "we`ird") == "`we``ird`"


def test_scores_weigh_good_rows_and_average_dimensions() -> None:
    assert rule_score(RuleKind.NOT_NULL, {"passed": False, "ratio": 0.3}) == pytest.approx(0.7)
    assert rule_score(RuleKind.FRESHNESS, {"passed": False, "ratio": None}) == 0.0
    assert rule_score(RuleKind.UNIQUE, {"passed": None, "ratio": None}) is None
    scores = dimension_scores(
        [(Dimension.COMPLETENESS, 0.7), (Dimension.COMPLETENESS, 0.9), (Dimension.TIMELINESS, 0.0)]
    )
    assert scores == {"completeness": 0.8, "timeliness": 0.0, "overall": 0.4}


def test_max_failing_ratio_lets_a_rule_pass() -> None:
    lenient = validate_rule({"kind": "not_null", "column": "a", "max_failing_ratio": 0.1})
    strict = validate_rule({"kind": "not_null", "column": "a"})
    plan = sql.aggregate_query(QueryTarget("sqlite", '"t"'), [lenient, strict])
    out = sql.read_aggregate([lenient, strict], plan, (100, 5, 5), now=None)  # type: ignore[arg-type]
    assert [o.passed for o in out] == [True, False]
    assert out[0].failing_count == 5 and out[0].ratio == 0.05
