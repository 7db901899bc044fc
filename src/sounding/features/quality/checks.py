"""Quality rules pushed down as SQL: rule -> SQL text per dialect, and rows -> outcomes. Pure.

Every single-table rule of one table is compiled into ONE aggregate query, so a table is
read once whatever the number of its rules::

    SELECT COUNT(*),
           SUM(CASE WHEN "phone" IS NULL THEN 1 ELSE 0 END),            -- not_null
           COUNT("email") - COUNT(DISTINCT "email"),                     -- unique
           SUM(CASE WHEN "qty" < 0 OR "qty" > 1000 THEN 1 ELSE 0 END),   -- range
           MAX("loaded_at")                                              -- freshness
    FROM "main"."orders"

Example failing keys are fetched afterwards, only for rules that failed (``LIMIT 5``).
Referential integrity (``NOT EXISTS`` against the parent table of the same source) and custom
SQL (``SELECT COUNT(*) FROM (<sql>) AS q``) are queries of their own.

Dialects are the registered SQL backends (``sounding.domain.dialects``): each says how it
quotes, writes literals and spells a regex match (``sqlite``: ``REGEXP``, answered by a Python
function the connector registers; ``postgresql``: ``~``; ``mysql``: ``REGEXP`` made
case-sensitive with ``(?-i)``; ``duckdb``: ``regexp_matches``). Regexes *search*
(``re.search`` semantics): anchor them with ``^...$`` to match whole values. SQL text is plain;
connectors whose drivers format with ``%`` escape it themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sounding.domain.dialects import dialect_or_standard
from sounding.domain.quality import (
    QueryTarget,
    Rule,
    RuleKind,
    RuleOutcome,
    judge,
    parse_duration,
    parse_timestamp,
)

EXAMPLE_LIMIT = 5
AGGREGATE_KINDS = frozenset(
    {
        RuleKind.NOT_NULL,
        RuleKind.UNIQUE,
        RuleKind.ACCEPTED_VALUES,
        RuleKind.RANGE,
        RuleKind.REGEX,
        RuleKind.FRESHNESS,
        RuleKind.ROW_COUNT,
        RuleKind.ROW_COUNT_CHANGE,
    }
)
"""Kinds answered by the table's one aggregate query."""


def quote(dialect: str, name: str) -> str:
    return dialect_or_standard(dialect).quote(name)


def literal(dialect: str, value: Any) -> str:
    return dialect_or_standard(dialect).literal(value)


def failing_condition(dialect: str, rule: Rule) -> str:
    """The WHERE condition a failing row meets, for row-level kinds of the aggregate."""
    col = quote(dialect, rule.column or "")
    p = rule.params
    if rule.kind == RuleKind.NOT_NULL:
        return f"{col} IS NULL"
    if rule.kind == RuleKind.ACCEPTED_VALUES:
        values = ", ".join(literal(dialect, v) for v in p["values"])
        return f"{col} IS NOT NULL AND {col} NOT IN ({values})"
    if rule.kind == RuleKind.RANGE:
        parts = []
        if "min" in p:
            parts.append(f"{col} < {literal(dialect, p['min'])}")
        if "max" in p:
            parts.append(f"{col} > {literal(dialect, p['max'])}")
        return " OR ".join(parts)
    if rule.kind == RuleKind.REGEX:
        matches = dialect_or_standard(dialect).regex_match(col, p["pattern"])
        return f"{col} IS NOT NULL AND NOT ({matches})"
    raise ValueError(f"{rule.kind.value} has no row condition")


def _aggregate_expr(dialect: str, rule: Rule) -> str | None:
    col = quote(dialect, rule.column or "")
    if rule.kind == RuleKind.UNIQUE:
        return f"COUNT({col}) - COUNT(DISTINCT {col})"
    if rule.kind == RuleKind.FRESHNESS:
        return f"MAX({col})"
    if rule.kind in (RuleKind.ROW_COUNT, RuleKind.ROW_COUNT_CHANGE):
        return None  # answered by COUNT(*)
    return f"SUM(CASE WHEN {failing_condition(dialect, rule)} THEN 1 ELSE 0 END)"


@dataclass(frozen=True)
class AggregatePlan:
    sql: str
    slots: tuple[int | None, ...]  # per rule: its position in the row, None for COUNT(*) only


def aggregate_query(target: QueryTarget, rules: Sequence[Rule]) -> AggregatePlan:
    """One query for all aggregate rules of one table; its first column is COUNT(*)."""
    exprs = ["COUNT(*)"]
    slots: list[int | None] = []
    for rule in rules:
        if rule.kind not in AGGREGATE_KINDS:
            raise ValueError(f"{rule.kind.value} rules run as queries of their own")
        expr = _aggregate_expr(target.dialect, rule)
        if expr is None:
            slots.append(None)
        else:
            exprs.append(expr)
            slots.append(len(exprs) - 1)
    body = ",\n       ".join(exprs)
    return AggregatePlan(f"SELECT {body}\nFROM {target.relation}", tuple(slots))


def _as_int(value: Any) -> int:
    return 0 if value is None else int(value)


def as_datetime(value: Any) -> datetime | None:
    """A MAX() of a timestamp column as an aware datetime (naive values are UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime.combine(value, time())
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)  # epoch seconds
    else:
        try:
            found = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def freshness_outcome(rule: Rule, latest: Any, now: datetime) -> RuleOutcome:
    max_age = parse_duration(rule.params["max_age"], "params.max_age")
    as_of = rule.params.get("as_of")
    ref = as_datetime(parse_timestamp(as_of, "params.as_of")) if as_of else now
    assert ref is not None
    found = as_datetime(latest)
    observed: dict[str, Any] = {
        "latest": found.isoformat() if found else None,
        "as_of": ref.isoformat(),
        "max_age_seconds": max_age,
    }
    if found is None:
        detail = "no timestamp" if latest is None else f"unreadable value {latest!r}"
        return RuleOutcome(False, 1, 1, None, {**observed, "note": detail})
    age = (ref - found).total_seconds()
    observed["age_seconds"] = round(age, 3)
    stale = age > max_age
    return RuleOutcome(not stale, int(stale), 1, None, observed)


def count_outcome(rule: Rule, rows: int, previous: int | None) -> RuleOutcome:
    p = rule.params
    if rule.kind == RuleKind.ROW_COUNT:
        ok = p.get("min", -math.inf) <= rows <= p.get("max", math.inf)
        observed: dict[str, Any] = {"row_count": rows}
        observed.update({k: p[k] for k in ("min", "max") if k in p})
        return RuleOutcome(ok, int(not ok), 1, None, observed)
    if previous is None:
        return RuleOutcome(True, 0, 1, None, {"row_count": rows, "previous": None})
    change = abs(rows - previous) / max(previous, 1)
    ok = change <= float(p["max_change"])
    seen = {"row_count": rows, "previous": previous, "change": round(change, 6)}
    return RuleOutcome(ok, int(not ok), 1, None, seen)


def read_aggregate(
    rules: Sequence[Rule],
    plan: AggregatePlan,
    row: Sequence[Any],
    now: datetime,
    previous_counts: Mapping[int, int] | None = None,
) -> list[RuleOutcome]:
    """Outcomes of the aggregate rules from the aggregate row (``previous_counts``: the row
    count each row_count_change rule saw on its last run, by rule id)."""
    total = _as_int(row[0])
    out = []
    for rule, slot in zip(rules, plan.slots, strict=True):
        value = row[slot] if slot is not None else None
        if rule.kind == RuleKind.FRESHNESS:
            out.append(freshness_outcome(rule, value, now))
        elif rule.kind in (RuleKind.ROW_COUNT, RuleKind.ROW_COUNT_CHANGE):
            prev = (previous_counts or {}).get(rule.id) if rule.id is not None else None
            out.append(count_outcome(rule, total, prev))
        else:
            out.append(judge(rule.kind, rule.params, _as_int(value), total))
    return out


def examples_query(
    target: QueryTarget, rule: Rule, keys: Sequence[str], limit: int = EXAMPLE_LIMIT
) -> str | None:
    """Up to ``limit`` failing rows of a failed row-level rule: its key columns and value."""
    d = target.dialect
    col = quote(d, rule.column or "")
    if rule.kind == RuleKind.UNIQUE:
        return (
            f"SELECT {col}, COUNT(*) FROM {target.relation} WHERE {col} IS NOT NULL "
            f"GROUP BY {col} HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC LIMIT {limit}"
        )
    if rule.kind not in (
        RuleKind.NOT_NULL,
        RuleKind.ACCEPTED_VALUES,
        RuleKind.RANGE,
        RuleKind.REGEX,
    ):
        return None
    cols = ", ".join([*(quote(d, k) for k in keys if k != rule.column), col])
    return f"SELECT {cols} FROM {target.relation} WHERE {failing_condition(d, rule)} LIMIT {limit}"


def _ri_from(child: QueryTarget, parent: QueryTarget, rule: Rule) -> str:
    d = child.dialect
    col = quote(d, rule.column or "")
    pcol = quote(d, rule.params["references"]["column"])
    return (
        f"FROM {child.relation} AS c WHERE c.{col} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {parent.relation} AS p WHERE p.{pcol} = c.{col})"
    )


def referential_query(child: QueryTarget, parent: QueryTarget, rule: Rule) -> str:
    """Child rows whose (non-null) value has no parent row: one COUNT query."""
    return f"SELECT COUNT(*) {_ri_from(child, parent, rule)}"


def referential_examples_query(
    child: QueryTarget, parent: QueryTarget, rule: Rule, keys: Sequence[str]
) -> str:
    d = child.dialect
    cols = ", ".join(f"c.{quote(d, k)}" for k in [*(k for k in keys if k != rule.column)])
    col = f"c.{quote(d, rule.column or '')}"
    select = f"{cols}, {col}" if cols else col
    return f"SELECT {select} {_ri_from(child, parent, rule)} LIMIT {EXAMPLE_LIMIT}"


def custom_sql(target: QueryTarget, rule: Rule) -> str:
    """The rule's SELECT with ``{table}`` replaced by the table's relation."""
    return str(rule.params["sql"]).replace("{table}", target.relation)


def custom_count_query(target: QueryTarget, rule: Rule) -> str:
    return f"SELECT COUNT(*) FROM ({custom_sql(target, rule)}) AS q"


def custom_examples_query(target: QueryTarget, rule: Rule) -> str:
    return f"SELECT * FROM ({custom_sql(target, rule)}) AS q LIMIT {EXAMPLE_LIMIT}"


def json_value(value: Any) -> Any:
    """A fetched value as JSON (numbers and text as they are; the rest as text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def read_examples(
    rule: Rule, keys: Sequence[str], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[dict[str, Any]]:
    """Rows of an examples query as ``{"key": {...}, "value": v}`` items (``{"value",
    "count"}`` for duplicates; ``{"row": {...}}`` for custom SQL)."""
    if rule.kind == RuleKind.CUSTOM_SQL:
        return [{"row": {n: json_value(v) for n, v in zip(names, r, strict=False)}} for r in rows]
    if rule.kind == RuleKind.UNIQUE:
        return [{"value": json_value(r[0]), "count": int(r[1])} for r in rows]
    key_names = [k for k in keys if k != rule.column]
    out = []
    for r in rows:
        item: dict[str, Any] = {"value": json_value(r[-1])}
        if key_names:
            item["key"] = {k: json_value(v) for k, v in zip(key_names, r[:-1], strict=True)}
        out.append(item)
    return out
