"""Hand-written scripts beside their expected lineage (tests/golden/lineage/*.sql -> *.json).

A script's leading ``-- dialect:``, ``-- schema:`` (JSON) and ``-- default_schema:`` comments are
the call's arguments. A missing golden fails; ``SOUNDING_UPDATE_GOLDENS=1`` writes them (review
the diff before committing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from sounding.lineage.parse import parse_lineage

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "lineage"
SCRIPTS = sorted(GOLDEN.glob("*.sql"))


def _arguments(sql: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for line in sql.splitlines():
        if not line.startswith("-- ") or ":" not in line:
            continue
        key, _, value = line[3:].partition(":")
        key, value = key.strip(), value.strip()
        if key == "schema":
            args["schema"] = json.loads(value)
        elif key in ("dialect", "default_schema"):
            args[key] = value
    return args


def test_there_are_goldens() -> None:
    assert len(SCRIPTS) >= 8


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_golden(script: Path) -> None:
    sql = script.read_text()
    result = parse_lineage(sql, **_arguments(sql)).to_dict()
    golden = script.with_suffix(".json")
    if os.environ.get("SOUNDING_UPDATE_GOLDENS") == "1":
        golden.write_text(json.dumps(result, indent=2) + "\n")
    assert golden.exists(), f"missing golden {golden.name}; run with SOUNDING_UPDATE_GOLDENS=1"
    assert result == json.loads(golden.read_text())
