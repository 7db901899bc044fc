"""Column resolution against sqlglot's qualify_columns fixtures.

Each pair is a query and sqlglot's fully qualified rewrite of it (every column tied to its
table, every ``*`` expanded, given the fixture schema). Where we resolve names as sqlglot does,
both texts give the same source columns.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sounding.lineage.parse import parse_lineage
from tests.lineage.corpus import LINEAGE

# The qualified text is not self-contained for these features: it names columns (a pivot's
# outputs, struct fields, $n positions) that a reader of the text alone cannot see in a table.
_NOT_SELF_CONTAINED = re.compile(r"\bPIVOT\b|\bUNPIVOT\b|STRUCT|structs|\$\d", re.IGNORECASE)
_DIFFERENT_BY_DESIGN = {
    "sqlglot-qualify_columns#38": "UNNEST without a column alias: sqlglot scopes `a` out",
    "sqlglot-qualify_columns#127": "t(a, b) over an unknown `*`: we keep t.*, sqlglot guesses t.a",
    "sqlglot-qualify_columns#128": "s(b) over an unknown `*`: we keep t1.*, sqlglot guesses t1.b",
    "sqlglot-qualify_columns#174": "a.b.c.d.f.g: struct path vs. qualified column",
    "sqlglot-qualify_columns#180": "x.* with USING(b): sqlglot coalesces y.b into x.b",
    "sqlglot-qualify_columns#265": "the same table both SEMI and inner joined",
    "sqlglot-qualify_columns#266": "the same table both ANTI and inner joined",
}


def _pairs() -> list[Any]:
    path = LINEAGE / "sqlglot_qualify_columns.jsonl"
    if not path.exists():
        return []
    params = []
    for line in path.read_text().splitlines():
        pair = json.loads(line)
        if _NOT_SELF_CONTAINED.search(pair["sql"] + pair["expected_qualified_sql"]):
            continue
        marks = []
        if pair["id"] in _DIFFERENT_BY_DESIGN:
            reason = _DIFFERENT_BY_DESIGN[pair["id"]]
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        params.append(pytest.param(pair, id=pair["id"], marks=marks))
    return params


PAIRS = _pairs()
SCHEMA_FILE = LINEAGE / "sqlglot_qualify_columns_schema.json"


def _sources(sql: str, dialect: str, schema: dict[str, Any]) -> set[tuple[str | None, str]]:
    result = parse_lineage(f"CREATE TABLE out_t AS {sql}", dialect=dialect, schema=schema)
    assert not result.errors, result.errors
    return {
        (edge.source_table, edge.source_column)
        for edge in result.column_lineage
        if edge.kind != "filter"
    }


def test_pairs_are_present() -> None:
    assert len(PAIRS) > 200


@pytest.mark.parametrize("pair", PAIRS)
def test_resolution_matches_qualified_form(pair: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    dialect = pair.get("dialect") or "ansi"
    assert _sources(pair["sql"], dialect, schema) == _sources(
        pair["expected_qualified_sql"], dialect, schema
    )
