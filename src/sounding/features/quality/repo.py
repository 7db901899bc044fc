"""Quality rules, runs, results and scores; ``scores_for`` feeds search ranking."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.domain.paging import Key, SortOrder
from sounding.features.quality.tables import (
    quality_results,
    quality_rules,
    quality_runs,
    quality_scores,
)
from sounding.store.paging import seek
from sounding.store.tables import assets, sources
from sounding.store.tables_search import search_outbox

CHUNK = 500
OBJECT_TYPES = ("table", "view", "dataset")


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


# --- rules ----------------------------------------------------------------------------------


def _rules_select() -> sa.Select[Any]:
    return (
        sa.select(
            quality_rules,
            assets.c.urn.label("asset_urn"),
            assets.c.qualified_name,
            assets.c.source_id,
            sources.c.name.label("source"),
        )
        .join(assets, assets.c.id == quality_rules.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
    )


def insert_rule(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(sa.insert(quality_rules).values(**values).returning(quality_rules.c.id))
    return int(result.scalar_one())


def update_rule(conn: Connection, rule_id: int, values: dict[str, Any]) -> None:
    conn.execute(sa.update(quality_rules).where(quality_rules.c.id == rule_id).values(**values))


def delete_rule(conn: Connection, rule_id: int) -> None:
    conn.execute(sa.delete(quality_rules).where(quality_rules.c.id == rule_id))


def get_rule(conn: Connection, rule_id: int) -> dict[str, Any] | None:
    row = conn.execute(_rules_select().where(quality_rules.c.id == rule_id)).mappings().first()
    return dict(row) if row else None


def rule_by_name(conn: Connection, asset_id: int, name: str) -> dict[str, Any] | None:
    query = _rules_select().where(
        quality_rules.c.asset_id == asset_id, quality_rules.c.name == name
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def list_rules(
    conn: Connection,
    *,
    source_id: int | None = None,
    asset_ids: Sequence[int] | None = None,
    status: str | None = None,
    limit: int = 100000,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    query = _rules_select().where(assets.c.deleted_at.is_(None))
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    if asset_ids is not None:
        query = query.where(quality_rules.c.asset_id.in_(list(asset_ids)))
    if status:
        query = query.where(quality_rules.c.status == status)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(assets.c.qualified_name, quality_rules.c.id).limit(limit).offset(offset)
    ).mappings()
    return [dict(r) for r in rows], int(total)


# --- runs and results -----------------------------------------------------------------------


def insert_run(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(sa.insert(quality_runs).values(**values).returning(quality_runs.c.id))
    return int(result.scalar_one())


def update_run(conn: Connection, run_id: int, values: dict[str, Any]) -> None:
    conn.execute(sa.update(quality_runs).where(quality_runs.c.id == run_id).values(**values))


def _runs_select() -> sa.Select[Any]:
    return (
        sa.select(quality_runs, sources.c.name.label("source"), assets.c.urn.label("asset_urn"))
        .join(sources, sources.c.id == quality_runs.c.source_id)
        .outerjoin(assets, assets.c.id == quality_runs.c.asset_id)
    )


def get_run(conn: Connection, run_id: int) -> dict[str, Any] | None:
    row = conn.execute(_runs_select().where(quality_runs.c.id == run_id)).mappings().first()
    return dict(row) if row else None


def list_runs(
    conn: Connection, source_id: int | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    query = _runs_select()
    if source_id is not None:
        query = query.where(quality_runs.c.source_id == source_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(quality_runs.c.id.desc()).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


def insert_results(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(quality_results), list(rows))


def _results_select() -> sa.Select[Any]:
    return sa.select(
        quality_results,
        quality_rules.c.name.label("rule"),
        quality_rules.c.kind,
        quality_rules.c.column_name,
        quality_rules.c.dimension,
        quality_rules.c.severity,
        assets.c.urn.label("asset_urn"),
        assets.c.qualified_name,
    ).select_from(
        quality_results.join(quality_rules, quality_rules.c.id == quality_results.c.rule_id).join(
            assets, assets.c.id == quality_results.c.asset_id
        )
    )


def results_of_run(conn: Connection, run_id: int) -> list[dict[str, Any]]:
    query = _results_select().where(quality_results.c.run_id == run_id)
    rows = conn.execute(query.order_by(assets.c.qualified_name, quality_rules.c.id)).mappings()
    return [dict(r) for r in rows]


RESULT_ORDER = SortOrder(("id",), descending=True)


def result_history(
    conn: Connection,
    *,
    rule_id: int | None,
    asset_id: int | None,
    limit: int,
    offset: int,
    after: Key | None = None,
) -> tuple[list[dict[str, Any]], int]:
    query = _results_select()
    if rule_id is not None:
        query = query.where(quality_results.c.rule_id == rule_id)
    if asset_id is not None:
        query = query.where(quality_results.c.asset_id == asset_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    columns = [quality_results.c.id]
    rows = conn.execute(seek(query, RESULT_ORDER, columns, limit, offset, after))
    return [dict(r) for r in rows.mappings()], int(total)


def latest_results(conn: Connection, rule_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The newest result of each rule."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(rule_ids)):
        newest = (
            sa.select(sa.func.max(quality_results.c.id))
            .where(quality_results.c.rule_id.in_(chunk))
            .group_by(quality_results.c.rule_id)
        )
        query = sa.select(quality_results).where(quality_results.c.id.in_(newest))
        for row in conn.execute(query).mappings():
            out[row["rule_id"]] = dict(row)
    return out


# --- scores ---------------------------------------------------------------------------------


def insert_scores(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(quality_scores), list(rows))


def latest_scores(conn: Connection, asset_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per asset: ``{dimension: score, ..., "overall": score, "computed_at": when}`` of its
    newest scoring; an asset whose newest scoring is the "no score" mark (a NULL overall
    score, written when nothing was left to score) is left out."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(asset_ids)):
        newest = (
            sa.select(
                quality_scores.c.asset_id,
                sa.func.max(quality_scores.c.computed_at).label("at"),
            )
            .where(quality_scores.c.asset_id.in_(chunk))
            .group_by(quality_scores.c.asset_id)
            .subquery()
        )
        query = sa.select(quality_scores).join(
            newest,
            sa.and_(
                newest.c.asset_id == quality_scores.c.asset_id,
                newest.c.at == quality_scores.c.computed_at,
            ),
        )
        for row in conn.execute(query).mappings():
            entry = out.setdefault(row["asset_id"], {"computed_at": row["computed_at"]})
            entry[row["dimension"]] = row["score"]
    return {a: e for a, e in out.items() if e.get("overall") is not None}


def scores_for(conn: Connection, asset_ids: Sequence[int]) -> dict[int, float]:
    """The newest overall quality score (0..1) of each asset that has one (for search)."""
    return {
        asset_id: float(entry["overall"])
        for asset_id, entry in latest_scores(conn, asset_ids).items()
        if entry.get("overall") is not None
    }


def score_history(
    conn: Connection, asset_ids: Sequence[int], dimension: str, since: datetime | None
) -> list[tuple[int, datetime, float | None]]:
    """(asset id, computed at, score) of one dimension for every scoring, oldest first; the
    score is None when that scoring left the table without one in the dimension (every
    scoring has an ``overall`` row, NULL when nothing was left to score)."""
    found: dict[tuple[int, datetime], float | None] = {}
    wanted = {dimension, "overall"}
    for chunk in _chunks(list(asset_ids)):
        query = sa.select(
            quality_scores.c.asset_id,
            quality_scores.c.computed_at,
            quality_scores.c.dimension,
            quality_scores.c.score,
        ).where(quality_scores.c.asset_id.in_(chunk), quality_scores.c.dimension.in_(wanted))
        if since is not None:
            query = query.where(quality_scores.c.computed_at >= since)
        for asset_id, at, dim, score in conn.execute(query):
            key = (int(asset_id), at)
            if dim == dimension:
                found[key] = None if score is None else float(score)
            else:
                found.setdefault(key, None)
    out = [(a, at, score) for (a, at), score in found.items()]
    return sorted(out, key=lambda r: (r[1], r[0]))


def note_search(conn: Connection, changed: Sequence[tuple[int, str]]) -> None:
    """Tell the search index these assets' quality changed."""
    if changed:
        conn.execute(sa.insert(search_outbox), [{"asset_id": a, "urn": urn} for a, urn in changed])


# --- scope ----------------------------------------------------------------------------------


def scope_tables(
    conn: Connection,
    *,
    source_id: int | None = None,
    domain: str | None = None,
    asset_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Live tables, views and datasets of a source, a domain or an explicit list."""
    query = (
        sa.select(
            assets.c.id,
            assets.c.urn,
            assets.c.qualified_name,
            assets.c.name,
            assets.c.domain,
            assets.c.row_count,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == assets.c.source_id)
        .where(assets.c.type.in_(OBJECT_TYPES), assets.c.deleted_at.is_(None))
    )
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    if domain is not None:
        query = query.where(assets.c.domain == domain)
    if asset_ids is not None:
        query = query.where(assets.c.id.in_(list(asset_ids)))
    rows = conn.execute(query.order_by(sources.c.name, assets.c.qualified_name)).mappings()
    return [dict(r) for r in rows]
