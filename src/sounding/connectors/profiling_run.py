"""Running the profiling passes on any engine, with fallbacks, into domain ``ColumnProfile``s.

An engine gives a :class:`Target` (its dialect and the FROM clause of the rows to profile,
sampled already) and a ``run(sql) -> rows`` function that raises :class:`QueryError` for a
statement the engine refused. One failing column never loses the table: when the aggregate
pass fails, each column is profiled alone, with less asked of it each time it fails (all
statistics, then nulls and distinct values, then nulls only), and what was lost goes in the notes.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sounding.connectors.profiling import (
    NUMERIC,
    QUANTILE_SORT_MAX_ROWS,
    QUANTILES,
    SMALL_TABLE_ROWS,
    TEMPORAL,
    TOP_VALUES,
    TOP_VALUES_MAX_DISTINCT,
    WITH_MIN_MAX,
    WITH_TOP_VALUES,
    Approximate,
    Bins,
    ColumnPlan,
    Key,
    Level,
    QuantileMethod,
    Query,
    SqlDialect,
    core_query,
    histogram_counts,
    histogram_query,
    interpolate_quantiles,
    make_bins,
    plain_values_query,
    plan_columns,
    quantile_key,
    quantile_sort_query,
    sample_values_query,
    top_values_query,
)
from sounding.connectors.profiling_values import json_safe
from sounding.domain.assets import DiscoveredColumn
from sounding.domain.profiling import ColumnProfile, SampleKind, SamplePolicy

logger = logging.getLogger(__name__)


class QueryError(Exception):
    """One statement failed at the engine; the message is the engine's own."""


Run = Callable[[str], Sequence[Sequence[Any]]]


@dataclass
class Target:
    """The rows to profile: a dialect and a FROM clause (a table, or a sample of it)."""

    dialect: SqlDialect
    source: str
    approx: Approximate = field(default_factory=Approximate)
    distinct_estimates: dict[str, int] | None = None  # from planner statistics, not counted


@dataclass
class Profiled:
    rows: int
    columns: list[ColumnProfile]
    notes: list[str] = field(default_factory=list)


def profile_columns(run: Run, target: Target, columns: Sequence[DiscoveredColumn]) -> Profiled:
    """All passes over the target; see :mod:`sounding.connectors.profiling`."""
    plans = plan_columns(target.dialect, columns)
    notes: list[str] = []
    uncountable = [plan.name for plan in plans if not plan.countable]
    if uncountable:
        notes.append(f"no distinct counts for types without equality: {', '.join(uncountable)}")
    rows, stats = _core_pass(run, target, plans, notes)
    profiles = [_column_profile(plan, stats, rows, target) for plan in plans]
    _drop_mixed_numbers(plans, profiles, notes)
    wanted = _top_value_columns(plans, profiles, rows, notes)
    _histogram_pass(run, target, plans, profiles, stats, wanted, notes)
    if not target.dialect.value_counts:
        _top_values(run, target, wanted, profiles, notes)
    _sorted_quantiles(run, target, plans, profiles, rows, notes)
    return Profiled(rows, profiles, notes)


def _row(run: Run, query: Query) -> dict[Key, Any]:
    return query.parse(run(query.sql)[0])


def _one_row(run: Run, query: Query) -> tuple[int, dict[Key, Any]]:
    parsed = _row(run, query)
    return int(parsed.pop((-1, "rows"))), parsed


def _core_pass(
    run: Run, target: Target, plans: Sequence[ColumnPlan], notes: list[str]
) -> tuple[int, dict[Key, Any]]:
    d, source = target.dialect, target.source
    approx, distinct = target.approx, target.distinct_estimates is None

    def query(columns: Sequence[ColumnPlan], level: Level = Level.FULL) -> Query:
        return core_query(d, source, columns, level=level, approx=approx, distinct=distinct)

    try:
        return _one_row(run, query(plans))
    except QueryError as exc:
        logger.info("Profile query on %s failed (%s); profiling column by column", source, exc)
    rows, _ = _one_row(run, query([]))  # raises when the table cannot be read
    stats: dict[Key, Any] = {}
    for plan in plans:
        error: QueryError | None = None
        for level in (Level.FULL, Level.BASIC, Level.NULLS):
            try:
                _, found = _one_row(run, query([plan], level))
            except QueryError as exc:
                error = error or exc
                continue
            stats.update(found)
            if level < Level.FULL:
                asked = "null and distinct counts" if level == Level.BASIC else "null count"
                notes.append(f"column {plan.name!r}: only the {asked} ({error})")
            break
        else:
            notes.append(f"column {plan.name!r} could not be profiled ({error})")
    return rows, stats


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _column_profile(
    plan: ColumnPlan, stats: dict[Key, Any], rows: int, target: Target
) -> ColumnProfile:
    i, d = plan.index, target.dialect
    profile = ColumnProfile(name=plan.name, kind=plan.kind.value)
    nonnull = _int(stats.get((i, "nonnull")))
    if nonnull is None:
        return profile
    profile.null_count = rows - nonnull
    profile.null_ratio = profile.null_count / rows if rows else None
    if target.distinct_estimates is not None:
        estimate = target.distinct_estimates.get(plan.name)
        if estimate is not None:
            profile.distinct_count = min(estimate, nonnull)
            profile.distinct_is_approximate = True
    elif (i, "distinct") in stats:
        profile.distinct_count = min(int(stats[i, "distinct"]), nonnull)
        profile.distinct_is_approximate = target.approx.distinct and bool(d.approx_distinct)
    if plan.kind in WITH_MIN_MAX:
        profile.min, profile.max = (
            json_safe(stats.get((i, "min"))),
            json_safe(stats.get((i, "max"))),
        )
    if plan.kind in NUMERIC:
        _moments(profile, stats, i, nonnull)
        quantiles = stats.get((i, "quantiles"))
        if isinstance(quantiles, list | tuple) and len(quantiles) == len(QUANTILES):
            values = [_float(v) for v in quantiles]
            if all(v is not None for v in values):
                profile.quantiles = {
                    quantile_key(q): v for q, v in zip(QUANTILES, values, strict=True)
                }
                profile.quantiles_are_approximate = target.approx.quantiles and bool(
                    d.approx_quantile
                )
    if (i, "minlen") in stats:
        profile.min_length = _int(stats[i, "minlen"])
        profile.avg_length = _float(stats[i, "avglen"])
        profile.max_length = _int(stats[i, "maxlen"])
    return profile


def _drop_mixed_numbers(
    plans: Sequence[ColumnPlan], profiles: Sequence[ColumnProfile], notes: list[str]
) -> None:
    """SQLite keeps text in a numeric column; its mean would count the text as 0."""
    for plan, prof in zip(plans, profiles, strict=True):
        if plan.kind in NUMERIC and any(isinstance(v, str) for v in (prof.min, prof.max)):
            prof.mean = prof.stddev = prof.quantiles = None
            notes.append(
                f"column {plan.name!r} holds values that are not numbers: "
                "no mean, stddev or quantiles"
            )


def _moments(profile: ColumnProfile, stats: dict[Key, Any], i: int, n: int) -> None:
    if (i, "mean") in stats:
        profile.mean, profile.stddev = _float(stats[i, "mean"]), _float(stats.get((i, "stddev")))
        return
    total, squares = _float(stats.get((i, "sum"))), _float(stats.get((i, "sumsq")))
    if total is None or squares is None or n == 0:
        return
    profile.mean = total / n
    if n > 1:  # sample standard deviation, as stddev_samp() elsewhere
        profile.stddev = math.sqrt(max(squares - total * total / n, 0.0) / (n - 1))


def _top_value_columns(
    plans: Sequence[ColumnPlan], profiles: Sequence[ColumnProfile], rows: int, notes: list[str]
) -> list[ColumnPlan]:
    """Columns worth a top-values count: not unique, not high-cardinality in a big table."""
    wanted: list[ColumnPlan] = []
    unique: list[str] = []
    wide: list[str] = []
    for plan, prof in zip(plans, profiles, strict=True):
        nonnull = rows - (prof.null_count or 0) if prof.null_count is not None else None
        if plan.kind not in WITH_TOP_VALUES or not nonnull:
            continue
        distinct = prof.distinct_count
        small = rows <= SMALL_TABLE_ROWS
        if distinct is None:
            if small:
                wanted.append(plan)
            else:
                wide.append(plan.name)
            continue
        if distinct >= nonnull or (prof.distinct_is_approximate and distinct >= 0.97 * nonnull):
            unique.append(plan.name)
        elif distinct > TOP_VALUES_MAX_DISTINCT and not small:
            wide.append(plan.name)
        else:
            wanted.append(plan)
    if unique:
        notes.append(f"top values skipped for unique columns: {', '.join(unique)}")
    if wide:
        notes.append(
            f"top values skipped for columns with over {TOP_VALUES_MAX_DISTINCT} distinct "
            f"values (or unknown) in over {SMALL_TABLE_ROWS} rows: {', '.join(wide)}"
        )
    return wanted


def _histogram_pass(
    run: Run,
    target: Target,
    plans: Sequence[ColumnPlan],
    profiles: list[ColumnProfile],
    stats: dict[Key, Any],
    wanted: Sequence[ColumnPlan],
    notes: list[str],
) -> None:
    """Every histogram (and on DuckDB every top-values map) in one pass; alone on failure."""
    d = target.dialect
    all_bins: list[Bins] = []
    for plan, prof in zip(plans, profiles, strict=True):
        if plan.kind in NUMERIC | TEMPORAL and prof.null_count is not None:
            column_stats = {k: v for (i, k), v in stats.items() if i == plan.index}
            bins = make_bins(d, plan, column_stats)
            if bins is not None:
                all_bins.append(bins)
    counted = list(wanted) if d.value_counts else []
    if not all_bins and not counted:
        return
    try:
        found = _row(run, histogram_query(d, target.source, all_bins, counted))
    except QueryError as exc:
        logger.info("Histogram query on %s failed (%s); one column at a time", target.source, exc)
        found = {}
        alone: list[tuple[str, list[Bins], list[ColumnPlan]]]
        alone = [(b.plan.name, [b], []) for b in all_bins] + [(p.name, [], [p]) for p in counted]
        for name, bins_part, counted_part in alone:
            query = histogram_query(d, target.source, bins_part, counted_part)
            try:
                found.update(_row(run, query))
            except QueryError as error:
                what = "histogram" if bins_part else "top values"
                notes.append(f"column {name!r}: no {what} ({error})")
    for b in all_bins:
        if (b.plan.index, "binned") in found:
            profiles[b.plan.index].histogram = histogram_counts(b, found)
    for plan in counted:
        counts = found.get((plan.index, "value_counts"))
        if isinstance(counts, dict):
            profiles[plan.index].top_values = _top_from_counts(counts)


def _top_from_counts(counts: dict[Any, Any]) -> list[dict[str, Any]]:
    items = [(value, int(count)) for value, count in counts.items() if value is not None]
    try:
        items.sort(key=lambda item: (-item[1], item[0]))
    except TypeError:
        items.sort(key=lambda item: (-item[1], str(item[0])))
    return [{"value": json_safe(v), "count": c} for v, c in items[:TOP_VALUES]]


def _top_values(
    run: Run,
    target: Target,
    wanted: Sequence[ColumnPlan],
    profiles: list[ColumnProfile],
    notes: list[str],
) -> None:
    for plan in wanted:
        try:
            rows = run(top_values_query(target.source, plan))
        except QueryError as exc:
            notes.append(f"column {plan.name!r}: no top values ({exc})")
            continue
        profiles[plan.index].top_values = [
            {"value": json_safe(value), "count": int(count)} for value, count in rows
        ]


def _sorted_quantiles(
    run: Run,
    target: Target,
    plans: Sequence[ColumnPlan],
    profiles: list[ColumnProfile],
    rows: int,
    notes: list[str],
) -> None:
    d = target.dialect
    if d.quantiles != QuantileMethod.SORT:
        return
    too_big: list[str] = []
    for plan, prof in zip(plans, profiles, strict=True):
        if plan.kind not in NUMERIC or prof.null_count is None or prof.mean is None:
            continue
        n = rows - prof.null_count
        if n > QUANTILE_SORT_MAX_ROWS:
            too_big.append(plan.name)
            continue
        try:
            found = {int(rn): v for rn, v in run(quantile_sort_query(d, target.source, plan, n))}
        except QueryError as exc:
            notes.append(f"column {plan.name!r}: no quantiles ({exc})")
            continue
        prof.quantiles = interpolate_quantiles(n, found)
    if too_big:
        notes.append(
            f"quantiles skipped: {d.name} has no percentile aggregate and columns with over "
            f"{QUANTILE_SORT_MAX_ROWS} values are not sorted for them: {', '.join(too_big)}"
        )


def is_full(policy: SamplePolicy) -> bool:
    """Whether a policy reads every row (a 100 % sample does)."""
    return policy.kind == SampleKind.FULL or (
        policy.kind == SampleKind.PERCENT and (policy.value or 0) >= 100
    )


def cap_note(cap: int, total: int) -> str:
    return f"row cap {cap} not reached ({total} rows): profiled in full"


def most_frequent(
    columns: Sequence[str], rows: Sequence[Sequence[object]], limit: int
) -> dict[str, list[object]]:
    """Per column: up to ``limit`` distinct non-null values of ``rows``, most frequent first."""
    out: dict[str, list[object]] = {}
    for i, name in enumerate(columns):
        counts: Counter[str] = Counter()
        first: dict[str, object] = {}
        for row in rows:
            value = row[i]
            if value is None:
                continue
            safe = json_safe(value)
            key = repr(safe)
            counts[key] += 1
            first.setdefault(key, safe)
        out[name] = [first[k] for k, _ in counts.most_common(limit)]
    return out


def sample_column(run: Run, source: str, column: str, limit: int) -> list[object]:
    """Up to ``limit`` distinct non-null values of one column, most frequent first; falls back
    to any values (deduplicated here) for types the engine cannot group; [] on failure."""
    try:
        return [json_safe(value) for (value,) in run(sample_values_query(source, column, limit))]
    except QueryError as exc:
        logger.info("Grouped sample of %s.%s failed (%s); trying plain values", source, column, exc)
    try:
        rows = run(plain_values_query(source, column, limit))
    except QueryError as exc:
        logger.warning("Could not sample column %s of %s: %s", column, source, exc)
        return []
    seen: dict[str, object] = {}
    for (value,) in rows:
        safe = json_safe(value)
        seen.setdefault(repr(safe), safe)
    return list(seen.values())[:limit]
