"""Data quality rules: their kinds, dimensions and validated parameters. No I/O.

A rule is attached to a table (view, dataset) and, for column rules, to one of its columns.
``validate_rule`` checks a rule as a user wrote it (API body, YAML entry) and returns it in
normal form; every problem raises ``InvalidInputError`` whose ``field`` names what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sounding.errors import InvalidInputError

E = TypeVar("E", bound=StrEnum)


class RuleKind(StrEnum):
    NOT_NULL = "not_null"
    UNIQUE = "unique"
    ACCEPTED_VALUES = "accepted_values"
    RANGE = "range"
    REGEX = "regex"
    FRESHNESS = "freshness"
    ROW_COUNT = "row_count"
    ROW_COUNT_CHANGE = "row_count_change"
    REFERENTIAL_INTEGRITY = "referential_integrity"
    CUSTOM_SQL = "custom_sql"


class Dimension(StrEnum):
    COMPLETENESS = "completeness"
    VALIDITY = "validity"
    ACCURACY = "accuracy"
    UNIQUENESS = "uniqueness"
    CONSISTENCY = "consistency"
    TIMELINESS = "timeliness"


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


class RuleStatus(StrEnum):
    ACTIVE = "active"
    SUGGESTED = "suggested"
    REJECTED = "rejected"


DEFAULT_DIMENSION: dict[RuleKind, Dimension] = {
    RuleKind.NOT_NULL: Dimension.COMPLETENESS,
    RuleKind.UNIQUE: Dimension.UNIQUENESS,
    RuleKind.ACCEPTED_VALUES: Dimension.VALIDITY,
    RuleKind.RANGE: Dimension.VALIDITY,
    RuleKind.REGEX: Dimension.VALIDITY,
    RuleKind.FRESHNESS: Dimension.TIMELINESS,
    RuleKind.ROW_COUNT: Dimension.COMPLETENESS,
    RuleKind.ROW_COUNT_CHANGE: Dimension.CONSISTENCY,
    RuleKind.REFERENTIAL_INTEGRITY: Dimension.CONSISTENCY,
    RuleKind.CUSTOM_SQL: Dimension.VALIDITY,
}

COLUMN_KINDS = frozenset(
    {
        RuleKind.NOT_NULL,
        RuleKind.UNIQUE,
        RuleKind.ACCEPTED_VALUES,
        RuleKind.RANGE,
        RuleKind.REGEX,
        RuleKind.FRESHNESS,
        RuleKind.REFERENTIAL_INTEGRITY,
    }
)
"""Kinds that need a column; the others apply to the whole table."""

ROW_KINDS = frozenset(
    {
        RuleKind.NOT_NULL,
        RuleKind.UNIQUE,
        RuleKind.ACCEPTED_VALUES,
        RuleKind.RANGE,
        RuleKind.REGEX,
        RuleKind.REFERENTIAL_INTEGRITY,
        RuleKind.CUSTOM_SQL,
    }
)
"""Kinds judged row by row: the result has a failing row count and a ratio of rows."""

META_KEYS = ("kind", "column", "name", "dimension", "severity", "description")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hours?|d|days?|w|weeks?)\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class QueryTarget:
    """Where a connector runs quality SQL: its dialect and the table's relation as SQL text
    (a quoted name, or a DuckDB reader call for files)."""

    dialect: str  # a registered dialect's name (sounding.domain.dialects): sqlite, postgresql, ...
    relation: str


@dataclass(frozen=True)
class Rule:
    """A validated rule in normal form (what the store keeps)."""

    kind: RuleKind
    column: str | None
    params: dict[str, Any]
    dimension: Dimension
    severity: Severity
    name: str
    description: str | None = None
    id: int | None = None


@dataclass
class RuleOutcome:
    """What one rule found on one run. ``passed`` is None when the check errored."""

    passed: bool | None
    failing_count: int | None = None
    total_count: int | None = None
    ratio: float | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def parse_duration(value: Any, field_name: str) -> float:
    """``"36h"``, ``"7 days"``, ``"90m"`` or a number of seconds -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise InvalidInputError(
            f"{field_name} must be a duration such as 36h, 2d, 90m or 1w (got {value!r})",
            field=field_name,
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]


def parse_timestamp(value: Any, field_name: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInputError(
            f"{field_name} must be an ISO date or timestamp such as 2026-01-01 (got {value!r})",
            field=field_name,
        ) from exc


def format_duration(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def _number(params: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    value = params.get(key)
    if value is None:
        if required:
            raise InvalidInputError(f"params.{key} is required", field=f"params.{key}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(
            f"params.{key} must be a number (got {value!r})", field=f"params.{key}"
        )
    return value


def _ratio(params: Mapping[str, Any], key: str) -> float | None:
    value = _number(params, key)
    if value is not None and not 0 <= value <= 1:
        raise InvalidInputError(
            f"params.{key} must be between 0 and 1 (got {value!r})", field=f"params.{key}"
        )
    return value


def _params_for(kind: RuleKind, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check the kind's parameters; returns them in normal form (unknown keys refused)."""
    allowed: dict[RuleKind, tuple[str, ...]] = {
        RuleKind.NOT_NULL: (),
        RuleKind.UNIQUE: (),
        RuleKind.ACCEPTED_VALUES: ("values",),
        RuleKind.RANGE: ("min", "max"),
        RuleKind.REGEX: ("pattern",),
        RuleKind.FRESHNESS: ("max_age", "as_of"),
        RuleKind.ROW_COUNT: ("min", "max"),
        RuleKind.ROW_COUNT_CHANGE: ("max_change",),
        RuleKind.REFERENTIAL_INTEGRITY: ("references",),
        RuleKind.CUSTOM_SQL: ("sql",),
    }
    known = (*allowed[kind], *(("max_failing_ratio",) if kind in ROW_KINDS else ()))
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidInputError(
            f"Unknown parameter {unknown[0]!r} for a {kind.value} rule; "
            f"it takes: {', '.join(known) or 'no parameters'}",
            field=f"params.{unknown[0]}",
        )
    out: dict[str, Any] = {}
    if kind in ROW_KINDS and raw.get("max_failing_ratio") is not None:
        out["max_failing_ratio"] = _ratio(raw, "max_failing_ratio")
    if kind == RuleKind.ACCEPTED_VALUES:
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise InvalidInputError(
                "params.values must be a non-empty list of accepted values", field="params.values"
            )
        if any(isinstance(v, dict | list) or v is None for v in values):
            raise InvalidInputError(
                "params.values may hold only strings, numbers and booleans", field="params.values"
            )
        out["values"] = list(values)
    elif kind in (RuleKind.RANGE, RuleKind.ROW_COUNT):
        lo, hi = _number(raw, "min"), _number(raw, "max")
        if lo is None and hi is None:
            raise InvalidInputError("params needs min, max or both", field="params.min")
        if lo is not None and hi is not None and lo > hi:
            raise InvalidInputError(
                f"params.min ({lo}) is greater than params.max ({hi})", field="params.min"
            )
        out.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None})
    elif kind == RuleKind.REGEX:
        pattern = raw.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise InvalidInputError("params.pattern must be a regex", field="params.pattern")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidInputError(
                f"params.pattern is not a valid regex: {exc}", field="params.pattern"
            ) from exc
        out["pattern"] = pattern
    elif kind == RuleKind.FRESHNESS:
        if raw.get("max_age") is None:
            raise InvalidInputError(
                "params.max_age is required (e.g. 36h, 2d)", field="params.max_age"
            )
        parse_duration(raw["max_age"], "params.max_age")
        out["max_age"] = raw["max_age"]
        if raw.get("as_of") is not None:
            out["as_of"] = parse_timestamp(raw["as_of"], "params.as_of").isoformat()
    elif kind == RuleKind.ROW_COUNT_CHANGE:
        change = _number(raw, "max_change", required=True)
        if change is None or change < 0:
            raise InvalidInputError(
                "params.max_change must be a share of rows >= 0, e.g. 0.2 for 20%",
                field="params.max_change",
            )
        out["max_change"] = change
    elif kind == RuleKind.REFERENTIAL_INTEGRITY:
        out["references"] = _references(raw.get("references"))
    elif kind == RuleKind.CUSTOM_SQL:
        sql = raw.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise InvalidInputError(
                "params.sql must be a SELECT that returns the failing rows", field="params.sql"
            )
        out["sql"] = sql.strip().rstrip(";").strip()
    return out


def _references(value: Any) -> dict[str, str]:
    """``{"table": "main.customers", "column": "id"}`` (a table of the same source)."""
    if isinstance(value, Mapping):
        table, column = value.get("table"), value.get("column")
        if isinstance(table, str) and table and isinstance(column, str) and column:
            return {"table": table, "column": column}
    raise InvalidInputError(
        "params.references must name the parent table and column of the same source: "
        "{table: main.customers, column: id}",
        field="params.references",
    )


def default_name(kind: RuleKind, column: str | None) -> str:
    return f"{kind.value}({column})" if column else kind.value


def validate_rule(data: Mapping[str, Any]) -> Rule:
    """A rule from its parts (``kind``, ``column``, ``params``, ``dimension``, ``severity``,
    ``name``, ``description``); parameters may also be given at the top level, as YAML does."""
    if not isinstance(data, Mapping):
        raise InvalidInputError("A rule must be a mapping with at least 'kind'", field="kind")
    raw_kind = data.get("kind")
    try:
        kind = RuleKind(str(raw_kind))
    except ValueError:
        raise InvalidInputError(
            f"Unknown rule kind {raw_kind!r}; "
            f"choose one of: {', '.join(k.value for k in RuleKind)}",
            field="kind",
        ) from None
    column = data.get("column")
    if column is not None and (not isinstance(column, str) or not column):
        raise InvalidInputError("column must be a column name", field="column")
    if kind in COLUMN_KINDS and not column:
        raise InvalidInputError(f"A {kind.value} rule needs a column", field="column")
    if kind not in COLUMN_KINDS and column:
        raise InvalidInputError(
            f"A {kind.value} rule applies to the whole table; remove 'column'", field="column"
        )
    params = dict(data.get("params") or {})
    params.update({k: v for k, v in data.items() if k not in (*META_KEYS, "params")})
    dimension = _choice(Dimension, data.get("dimension"), DEFAULT_DIMENSION[kind], "dimension")
    severity = _choice(Severity, data.get("severity"), Severity.ERROR, "severity")
    name = data.get("name") or default_name(kind, column)
    if not isinstance(name, str) or len(name) > 200:
        raise InvalidInputError("name must be text of at most 200 characters", field="name")
    description = data.get("description")
    return Rule(
        kind=kind,
        column=column,
        params=_params_for(kind, params),
        dimension=dimension,
        severity=severity,
        name=name,
        description=str(description) if description is not None else None,
    )


def _choice(enum: type[E], value: Any, default: E, field_name: str) -> E:
    if value is None:
        return default
    try:
        return enum(str(value))
    except ValueError:
        raise InvalidInputError(
            f"Unknown {field_name} {value!r}; choose one of: {', '.join(e.value for e in enum)}",
            field=field_name,
        ) from None


def judge(kind: RuleKind, params: Mapping[str, Any], failing: int, total: int) -> RuleOutcome:
    """A row-level outcome: passes while the failing share stays within max_failing_ratio."""
    ratio = failing / total if total else 0.0
    allowed = float(params.get("max_failing_ratio") or 0.0)
    passed = failing == 0 or (allowed > 0 and ratio <= allowed)
    return RuleOutcome(passed, failing, total, round(ratio, 6))


def rule_score(kind: RuleKind, outcome: Mapping[str, Any]) -> float | None:
    """A rule's contribution to its dimension: the share of good rows for row-level kinds,
    1 or 0 for table-level ones; None when the check errored."""
    if outcome.get("passed") is None:
        return None
    if kind in ROW_KINDS and outcome.get("ratio") is not None:
        return max(0.0, 1.0 - min(1.0, float(outcome["ratio"])))
    return 1.0 if outcome["passed"] else 0.0


def dimension_scores(scored: list[tuple[Dimension, float]]) -> dict[str, float]:
    """Mean rule score per dimension, and ``overall``: the mean of the dimensions present."""
    by_dim: dict[str, list[float]] = {}
    for dim, score in scored:
        by_dim.setdefault(dim.value, []).append(score)
    out = {dim: round(sum(v) / len(v), 6) for dim, v in sorted(by_dim.items())}
    if out:
        out["overall"] = round(sum(out.values()) / len(out), 6)
    return out
