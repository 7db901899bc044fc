"""Rules suggested from a table's newest profile. Pure: profile dict in, rule dicts out.

=====================================  ==================================================
what the profile shows                 suggested rule
=====================================  ==================================================
no NULL in the profiled rows           ``not_null``
every non-null value distinct (exact)  ``unique`` (at least ``MIN_ROWS_FOR_UNIQUE`` rows)
2..``MAX_ACCEPTED`` distinct values,   ``accepted_values`` (the values seen), text and
all of them among the top values       boolean columns
numeric min and max                    ``range`` widened by ``RANGE_MARGIN`` of the span on
                                       each side (never below 0 when no value was)
a date or timestamp column             ``freshness`` of the table (one per table, on the
                                       column named most like a load time, never a birth
                                       or expiry date), the newest value's age at
                                       profiling time plus a day
=====================================  ==================================================

A profile of a sample can miss a rare NULL or duplicate: suggestions wait for a steward.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sounding.domain.quality import parse_timestamp
from sounding.errors import InvalidInputError

MAX_ACCEPTED = 10
MIN_ROWS_FOR_UNIQUE = 10
RANGE_MARGIN = 0.1
NUMERIC = ("integer", "number")
TEMPORAL = ("date", "timestamp")
_FRESH_NAMES = ("updated", "loaded", "modified", "ingested", "created", "_at", "date")
"""Name parts of a column that says when a row arrived, best first (a birth date is no clock)."""
_NOT_FRESH = ("birth", "dob", "expir", "valid_to", "due")


def _freshness_rank(name: str) -> int:
    lowered = name.lower()
    return min((i for i, m in enumerate(_FRESH_NAMES) if m in lowered), default=len(_FRESH_NAMES))


def _accepted(col: Mapping[str, Any], rows: int) -> list[Any] | None:
    distinct = col.get("distinct_count")
    top = col.get("top_values") or []
    if (
        col.get("kind") not in ("text", "boolean")
        or not distinct
        or col.get("distinct_is_approximate")
    ):
        return None
    non_null = rows - int(col.get("null_count") or 0)
    if not 2 <= distinct <= MAX_ACCEPTED or len(top) != distinct or non_null < 5 * distinct:
        return None
    if sum(int(v.get("count") or 0) for v in top) != non_null:
        return None  # a value outside the top list
    return sorted((v["value"] for v in top), key=str)


def _range(col: Mapping[str, Any]) -> dict[str, Any] | None:
    lo, hi = col.get("min"), col.get("max")
    if col.get("kind") not in NUMERIC or not isinstance(lo, int | float):
        return None
    if not isinstance(hi, int | float) or isinstance(lo, bool) or isinstance(hi, bool):
        return None
    margin = (hi - lo) * RANGE_MARGIN
    low, high = lo - margin, hi + margin
    if lo >= 0:
        low = max(0, low)
    if col.get("kind") == "integer":
        low, high = math.floor(low), math.ceil(high)
    else:
        low, high = round(low, 6), round(high, 6)
    return {"min": low, "max": high}


def _freshness(columns: list[Mapping[str, Any]], profiled_at: datetime) -> dict[str, Any] | None:
    temporal = [
        c
        for c in columns
        if c.get("kind") in TEMPORAL
        and c.get("max") is not None
        and not any(m in str(c["name"]).lower() for m in _NOT_FRESH)
    ]
    if not temporal:
        return None
    temporal.sort(key=lambda c: _freshness_rank(str(c["name"])))
    col = temporal[0]
    try:
        latest = parse_timestamp(col["max"], "max")
    except InvalidInputError:
        return None
    if latest.tzinfo is None and profiled_at.tzinfo is not None:
        latest = latest.replace(tzinfo=profiled_at.tzinfo)
    age_days = max(0.0, (profiled_at - latest).total_seconds() / 86400)
    return {
        "kind": "freshness",
        "column": col["name"],
        "max_age": f"{math.ceil(age_days) + 1}d",
        "description": "Suggested: newest value no older than at profiling time, plus a day",
    }


def suggest_rules(profile: Mapping[str, Any], profiled_at: datetime) -> list[dict[str, Any]]:
    """Rule dicts (the ``validate_rule`` input form) for one table's profile."""
    rows = int(profile.get("sampled_rows") or profile.get("row_count") or 0)
    columns = [c for c in profile.get("columns") or [] if c.get("name")]
    if rows == 0:
        return []
    out: list[dict[str, Any]] = []
    for col in columns:
        name = col["name"]
        nulls = col.get("null_count")
        if nulls == 0:
            out.append({"kind": "not_null", "column": name})
        distinct = col.get("distinct_count")
        exact = not col.get("distinct_is_approximate")
        non_null = rows - int(nulls or 0)
        comparable = col.get("kind") not in ("boolean", "other", "binary")
        if exact and comparable and rows >= MIN_ROWS_FOR_UNIQUE and 0 < non_null == distinct:
            out.append({"kind": "unique", "column": name})
        values = _accepted(col, rows)
        if values is not None:
            out.append({"kind": "accepted_values", "column": name, "values": values})
        bounds = _range(col)
        if bounds is not None:
            out.append({"kind": "range", "column": name, **bounds})
    fresh = _freshness(columns, profiled_at)
    if fresh is not None:
        out.append(fresh)
    return out
