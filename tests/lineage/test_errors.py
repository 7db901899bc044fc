"""SQL that does not parse: a located error, never a crash, and the other statements' lineage."""

from __future__ import annotations

import json
import random

import pytest

from sounding.lineage.parse import parse_lineage
from tests.lineage.corpus import LINEAGE


def test_error_has_statement_index_line_column_and_message() -> None:
    sql = "SELECT a FROM s;\n\nSELECT b FROM t WHERE (c = 1;\n"
    result = parse_lineage(sql)
    [problem] = result.errors
    assert problem.statement_index == 1
    assert (problem.line, problem.column) == (3, 28)  # at the "1" where ")" is due
    assert "Expecting )" in problem.message
    assert problem.to_dict() == {
        "statement_index": 1,
        "line": 3,
        "column": 28,
        "message": problem.message,
    }


def test_one_bad_statement_keeps_the_others() -> None:
    sql = """
        INSERT INTO a SELECT x FROM s;
        INSERT INTO b SELEC y FROM t;
        INSERT INTO c SELECT z FROM u;
    """
    result = parse_lineage(sql)
    assert [p.statement_index for p in result.errors] == [1]
    assert result.errors[0].line == 3
    assert (result.sources, result.targets) == (["s", "u"], ["a", "c"])
    assert {(e.source_table, e.target_table) for e in result.column_lineage} == {
        ("s", "a"),
        ("u", "c"),
    }


def test_unterminated_string_is_located_and_the_rest_parses() -> None:
    sql = "INSERT INTO a SELECT x FROM s;\nSELECT 'oops FROM t"
    result = parse_lineage(sql)
    assert result.targets == ["a"]
    [problem] = result.errors
    assert (problem.statement_index, problem.line, problem.column) == (1, 2, 8)
    assert "Missing '" in problem.message


@pytest.mark.parametrize(
    "sql",
    [
        "",
        "   ",
        ";;;",
        "SELECT",
        "FROM",
        "((((((",
        "SELECT * FROM " + "(" * 300 + "t" + ")" * 300,
        "INSERT INTO",
        "MERGE INTO t USING",
        "UPDATE SET",
        "WITH x AS (SELECT 1) INSERT",
        "\x00\x01 SELECT \udcff",
        "CREATE PROCEDURE p AS BEGIN END END END",
        "END; BEGIN; CASE",
    ],
)
def test_garbage_never_crashes(sql: str) -> None:
    result = parse_lineage(sql)
    assert result.sources == [] or all(isinstance(s, str) for s in result.sources)
    for problem in result.errors:
        assert problem.line >= 1 and problem.column >= 1 and problem.message


def test_mangled_statements_never_crash() -> None:
    """Every identity statement, cut at a random point, in several dialects."""
    rng = random.Random(7)
    lines = (LINEAGE / "sqlglot_identity_statements.jsonl").read_text().splitlines()
    statements = [json.loads(line)["sql"] for line in lines]
    for sql in rng.sample(statements, 200):
        cut = sql[: rng.randint(0, len(sql))]
        for dialect in ("ansi", "tsql", "bigquery"):
            parse_lineage(cut, dialect)


def test_every_identity_statement_parses() -> None:
    lines = (LINEAGE / "sqlglot_identity_statements.jsonl").read_text().splitlines()
    failures = [
        record["id"] for record in map(json.loads, lines) if parse_lineage(record["sql"]).errors
    ]
    assert failures == []
