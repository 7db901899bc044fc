"""The lineage corpora (other projects' test assertions) and how a result is compared to them.

See corpora/README.md, section 1. Names compare case-insensitively, without quotes and without
the default-schema prefix; file paths count as sources/targets; our ``filter`` edges are not in
these tools' convention and are left out of column comparisons. Window edges (``PARTITION BY``
/ ``ORDER BY`` columns of an ``OVER`` clause) count where the corpus counts them: sqllineage's
cases do, collate's (OpenLineage's INDIRECT) do not.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from sounding.lineage.parse import parse_lineage
from sounding.testing.corpora import corpora_dir

CORPORA = corpora_dir(Path(__file__).resolve().parents[2])
LINEAGE = CORPORA / "lineage"
CASE_FILES = (
    "sqllineage_cases.jsonl",
    "collate_sqllineage_overlap_cases.jsonl",
    "tokern_data_lineage_cases.jsonl",
)

Edge = tuple[str, str, str, str]


@cache
def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for name in CASE_FILES:
        path = LINEAGE / name
        if path.exists():
            cases.extend(json.loads(line) for line in path.read_text().splitlines())
    return cases


def norm(name: str | None, default_schema: str | None = None) -> str:
    text = (name or "").translate(str.maketrans("", "", '"`[]')).lower()
    if default_schema and text.startswith(default_schema.lower() + "."):
        text = text[len(default_schema) + 1 :]
    return text


def run(case: dict[str, Any]) -> dict[str, Any]:
    settings = case.get("settings") or {}
    lateral = True if str(settings.get("lateral_column_alias_reference", "")) == "1" else None
    return parse_lineage(
        case["sql"],
        dialect=case.get("dialect") or "ansi",
        schema=case.get("metadata_schema") or None,
        default_schema=case.get("default_schema"),
        lateral_column_aliases=lateral,
    ).to_dict()


def expected_tables(case: dict[str, Any]) -> tuple[set[str], set[str]]:
    default = case.get("default_schema")

    def names(key: str, paths: str) -> set[str]:
        listed = list(case.get(key) or []) + list(case.get(paths) or [])
        return {norm(n, default) for n in listed}

    return (
        names("expected_sources", "expected_source_paths"),
        names("expected_targets", "expected_target_paths"),
    )


def tables(result: dict[str, Any], case: dict[str, Any]) -> tuple[set[str], set[str]]:
    default = case.get("default_schema")
    return (
        {norm(n, default) for n in result["sources"]},
        {norm(n, default) for n in result["targets"]},
    )


def edges(items: list[dict[str, Any]], case: dict[str, Any]) -> set[Edge]:
    default = case.get("default_schema")
    return {
        (
            norm(e["source_table"], default),
            norm(e["source_column"]),
            norm(e["target_table"], default),
            norm(e["target_column"]),
        )
        for e in items
        if e.get("kind") not in _left_out(case)
    }


def _left_out(case: dict[str, Any]) -> set[str]:
    """The edge kinds this case's corpus does not count."""
    return {"filter", "window"} if str(case.get("id", "")).startswith("collate") else {"filter"}
