"""Quality scores: per table from its rules, rolled up to schemas, sources and domains.

A rule scores the share of good rows for row-level kinds (``1 - failing ratio``) and 1 or 0
for table-level ones (freshness, row counts); errored rules do not count. A table's
dimension score is the mean of its rules in that dimension, its overall score the mean of its
dimensions. Schemas, sources and domains take the mean of their scored tables. Table scores
are kept per run, so trends are read back day by day (each table's newest score as of that
day, carried forward). Rule changes rescore their table from stored results (``refresh``); a
table left with nothing to score gets a NULL overall score, "no current score".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal
from sounding.domain.quality import Dimension, RuleKind, dimension_scores, rule_score
from sounding.domain.urn import join_qualified, split_qualified
from sounding.errors import InvalidInputError
from sounding.features.quality import repo
from sounding.features.quality.records import (
    ScopeScores,
    ScopeTrend,
    ScoreRollup,
    TableScore,
    TrendPoint,
)
from sounding.services import catalog
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import utcnow

DIMENSIONS = [d.value for d in Dimension]
MAX_TREND_DAYS = 366


def table_scores(conn: Connection, asset_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Scores of each table from the newest result of each of its active rules."""
    rules, _ = repo.list_rules(conn, asset_ids=list(asset_ids), status="active")
    latest = repo.latest_results(conn, [r["id"] for r in rules])
    scored: dict[int, list[tuple[Dimension, float]]] = {}
    for rule in rules:
        result = latest.get(rule["id"])
        score = rule_score(RuleKind(rule["kind"]), result) if result else None
        if score is not None:
            scored.setdefault(rule["asset_id"], []).append((Dimension(rule["dimension"]), score))
    return {aid: dimension_scores(items) for aid, items in scored.items()}


def rescore(
    conn: Connection, tables: Sequence[tuple[int, str]], run_id: int | None, now: datetime
) -> list[int]:
    """Store the tables' current scores; note in the search outbox those whose overall
    score changed. Returns the ids of the changed ones."""
    ids = [aid for aid, _ in tables]
    before = repo.scores_for(conn, ids)
    current = table_scores(conn, ids)
    rows = [
        {"asset_id": aid, "run_id": run_id, "dimension": dim, "score": score, "computed_at": now}
        for aid, scores in current.items()
        for dim, score in scores.items()
    ]
    repo.insert_scores(conn, rows)
    changed = [
        (aid, urn)
        for aid, urn in tables
        if current.get(aid, {}).get("overall") != before.get(aid) and aid in current
    ]
    repo.note_search(conn, changed)
    return [aid for aid, _ in changed]


def refresh(conn: Connection, tables: Sequence[tuple[int, str]], now: datetime) -> list[int]:
    """Rescore tables after their rules changed (created, edited, accepted, rejected,
    deleted), from the newest stored result of each remaining active rule; nothing is asked
    of the source. A new scoring is kept only for tables whose scores changed; a table left
    with nothing to score (no active rule with a usable result) gets the "no score" mark, a
    NULL overall score, so it has no current score until its next run. Tables whose overall
    score changed or went are noted in the search outbox; their ids are returned."""
    ids = [aid for aid, _ in tables]
    before = repo.latest_scores(conn, ids)
    current = table_scores(conn, ids)
    rows: list[dict[str, Any]] = []
    changed: list[tuple[int, str]] = []
    for aid, urn in tables:
        old = {k: v for k, v in before.get(aid, {}).items() if k != "computed_at"}
        new: dict[str, float | None] = dict(current.get(aid, {}))
        if old == new:
            continue
        if not new:
            new = {"overall": None}
        rows += [
            {"asset_id": aid, "run_id": None, "dimension": d, "score": v, "computed_at": now}
            for d, v in new.items()
        ]
        if old.get("overall") != new["overall"]:
            changed.append((aid, urn))
    repo.insert_scores(conn, rows)
    repo.note_search(conn, changed)
    return [aid for aid, _ in changed]


def _mean(items: Sequence[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in (*DIMENSIONS, "overall"):
        values = [float(i[key]) for i in items if i.get(key) is not None]
        if values:
            out[key] = round(sum(values) / len(values), 6)
    return out


def _scope(
    ctx: Context,
    actor: Principal,
    source: str | None,
    domain: str | None,
    asset: str | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What a score, trend or report covers, and its live tables."""
    given = [k for k, v in (("source", source), ("domain", domain), ("asset", asset)) if v]
    if len(given) > 1:
        raise InvalidInputError(
            f"Give one of source, domain or asset (got {', '.join(given)})", field=given[1]
        )
    with ctx.db.read() as conn:
        if asset:
            found = catalog.get_asset(ctx, actor, asset)
            if found.type not in repo.OBJECT_TYPES:
                raise InvalidInputError(
                    f"Scores belong to tables; {found.urn} is a {found.type}", field="asset"
                )
            tables = repo.scope_tables(conn, asset_ids=[found.id])
            return {"asset": found.urn}, tables
        if source:
            tables = repo.scope_tables(conn, source_id=get_row(ctx, source)["id"])
            return {"source": source}, tables
        if domain:
            return {"domain": domain}, repo.scope_tables(conn, domain=domain)
        return {"all": True}, repo.scope_tables(conn)


def scores(
    ctx: Context,
    actor: Principal,
    *,
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
) -> ScopeScores:
    """The scope's score and its roll-ups: tables, schemas, sources and domains."""
    actor.require(Permission.CATALOG_READ)
    scope, tables = _scope(ctx, actor, source, domain, asset)
    with ctx.db.read() as conn:
        latest = repo.latest_scores(conn, [t["id"] for t in tables])
    scored = []
    for t in tables:
        entry = latest.get(t["id"])
        if entry is None:
            continue
        values = {k: v for k, v in entry.items() if k != "computed_at"}
        schema = join_qualified(list(split_qualified(t["qualified_name"])[:-1]))
        scored.append(
            TableScore(
                urn=t["urn"],
                qualified_name=t["qualified_name"],
                source=t["source"],
                schema=f"{t['source']}:{schema}" if schema else t["source"],
                domain=t["domain"],
                computed_at=entry["computed_at"],
                scores=values,
            )
        )

    def roll(key: str) -> tuple[ScoreRollup, ...]:
        groups: dict[str, list[dict[str, float]]] = {}
        for item in scored:
            name = getattr(item, key)
            if name:
                groups.setdefault(name, []).append(item.scores)
        return tuple(
            ScoreRollup(name=name, tables=len(items), scores=_mean(items))
            for name, items in sorted(groups.items())
        )

    return ScopeScores(
        scope=scope,
        tables_in_scope=len(tables),
        tables_scored=len(scored),
        scores=_mean([i.scores for i in scored]),
        tables=tuple(scored),
        schemas=roll("schema"),
        sources=roll("source"),
        domains=roll("domain"),
    )


def trend(
    ctx: Context,
    actor: Principal,
    *,
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
    days: int = 30,
    dimension: str = "overall",
) -> ScopeTrend:
    """One point per day of the last ``days``: the mean of each table's newest score as of
    the end of that day (tables not yet scored then do not count)."""
    actor.require(Permission.CATALOG_READ)
    if not 1 <= days <= MAX_TREND_DAYS:
        raise InvalidInputError(f"days must be 1..{MAX_TREND_DAYS}", field="days")
    if dimension not in (*DIMENSIONS, "overall"):
        raise InvalidInputError(
            f"Unknown dimension {dimension!r}; choose overall or one of {', '.join(DIMENSIONS)}",
            field="dimension",
        )
    scope, tables = _scope(ctx, actor, source, domain, asset)
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    with ctx.db.read() as conn:
        history = repo.score_history(conn, [t["id"] for t in tables], dimension, None)
    points = []
    current: dict[int, float] = {}
    i = 0
    for n in range(days):
        day = first + timedelta(days=n)
        while i < len(history) and _day(history[i][1]) <= day:
            asset_id, _at, score = history[i]
            if score is None:  # from then on the table had no score (in this dimension)
                current.pop(asset_id, None)
            else:
                current[asset_id] = score
            i += 1
        if current:
            points.append(
                TrendPoint(
                    date=day.isoformat(),
                    score=round(sum(current.values()) / len(current), 6),
                    tables=len(current),
                )
            )
    return ScopeTrend(scope=scope, dimension=dimension, days=days, points=tuple(points))


def _day(when: datetime) -> date:
    return when.date()
