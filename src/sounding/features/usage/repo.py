"""Usage counts, distinct users, the search query log, popularity and query-log counters.

Counts are additive upserts (``INSERT ... ON CONFLICT DO UPDATE SET count = count + ...``),
so several processes on one PostgreSQL store can flush into the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sounding.features.usage.records import UsageCount, UsageKind
from sounding.features.usage.tables import (
    asset_popularity,
    query_usage_state,
    search_queries,
    usage_daily,
    usage_users,
)
from sounding.store.tables import assets
from sounding.store.tables_search import search_outbox

_CHUNK = 500
CountKey = tuple[int, date, str]  # (asset id, day, kind)


def _insert(conn: Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def existing_ids(conn: Connection, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` that are still assets (a hard-deleted asset's usage is dropped)."""
    wanted, out = sorted(set(ids)), set()
    for chunk in _chunks(wanted):
        out |= set(conn.execute(sa.select(assets.c.id).where(assets.c.id.in_(chunk))).scalars())
    return out


def add_counts(conn: Connection, counts: Mapping[CountKey, int]) -> None:
    if not counts:
        return
    stmt = _insert(conn, usage_daily)
    stmt = stmt.on_conflict_do_update(
        index_elements=["asset_id", "day", "kind"],
        set_={"count": usage_daily.c.count + stmt.excluded.count},
    )
    rows = [
        {"asset_id": a, "day": d, "kind": k, "count": n, "users": 0}
        for (a, d, k), n in counts.items()
    ]
    conn.execute(stmt, rows)


def add_users(conn: Connection, users: Mapping[CountKey, set[str]]) -> None:
    """Note who used what, then refresh the distinct-user count of those (asset, day, kind)."""
    rows = [
        {"asset_id": a, "day": d, "kind": k, "user_name": u[:200]}
        for (a, d, k), names in users.items()
        for u in names
    ]
    if not rows:
        return
    conn.execute(_insert(conn, usage_users).on_conflict_do_nothing(), rows)
    distinct = (
        sa.select(sa.func.count())
        .where(
            usage_users.c.asset_id == usage_daily.c.asset_id,
            usage_users.c.day == usage_daily.c.day,
            usage_users.c.kind == usage_daily.c.kind,
        )
        .scalar_subquery()
    )
    update = (
        sa.update(usage_daily)
        .where(
            usage_daily.c.asset_id == sa.bindparam("a"),
            usage_daily.c.day == sa.bindparam("d"),
            usage_daily.c.kind == sa.bindparam("k"),
        )
        .values(users=distinct)
    )
    conn.execute(update, [{"a": a, "d": d, "k": k} for (a, d, k) in users])


def prune_users(conn: Connection, before: date) -> None:
    """Forget who used what before ``before`` (the per-day distinct counts stay)."""
    conn.execute(sa.delete(usage_users).where(usage_users.c.day < before))


def add_search_queries(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(search_queries), [dict(r) for r in rows])


def usage_of(conn: Connection, targets: Sequence[int], since: date) -> dict[int, list[UsageCount]]:
    """Usage since ``since`` of each target asset, its columns' usage included (roll-up)."""
    out: dict[int, list[UsageCount]] = {t: [] for t in targets}
    for chunk in _chunks(sorted(set(targets))):
        query = (
            sa.select(
                usage_daily.c.asset_id,
                assets.c.parent_id,
                assets.c.type,
                usage_daily.c.day,
                usage_daily.c.kind,
                usage_daily.c.count,
            )
            .join(assets, assets.c.id == usage_daily.c.asset_id)
            .where(
                usage_daily.c.day >= since,
                sa.or_(
                    usage_daily.c.asset_id.in_(chunk),
                    sa.and_(assets.c.type == "column", assets.c.parent_id.in_(chunk)),
                ),
            )
        )
        for r in conn.execute(query):
            count = UsageCount(_day(r.day), UsageKind(r.kind), int(r._mapping["count"]))
            if r.asset_id in out:
                out[r.asset_id].append(count)
            if r.type == "column" and r.parent_id in out:
                out[r.parent_id].append(count)
    return out


def roll_up_targets(conn: Connection, ids: Iterable[int]) -> set[int]:
    """The assets whose popularity usage of ``ids`` changes: themselves and columns' parents."""
    wanted, out = sorted(set(ids)), set(ids)
    for chunk in _chunks(wanted):
        rows = conn.execute(
            sa.select(assets.c.parent_id).where(
                assets.c.id.in_(chunk), assets.c.type == "column", assets.c.parent_id.isnot(None)
            )
        )
        out |= {int(r.parent_id) for r in rows}
    return out


def assets_with_usage(conn: Connection, since: date) -> set[int]:
    """Assets with usage since ``since`` or a stored popularity (a daily refresh decays both)."""
    used = conn.execute(sa.select(usage_daily.c.asset_id).where(usage_daily.c.day >= since))
    scored = conn.execute(
        sa.select(asset_popularity.c.asset_id).where(asset_popularity.c.score > 0)
    )
    return {int(r[0]) for r in used} | {int(r[0]) for r in scored}


def popularity_for(conn: Connection, asset_ids: Iterable[int]) -> dict[int, float]:
    """Stored popularity of these assets (0.0 for assets never used); see ``records``."""
    wanted = sorted(set(asset_ids))
    out = dict.fromkeys(wanted, 0.0)
    for chunk in _chunks(wanted):
        rows = conn.execute(
            sa.select(asset_popularity.c.asset_id, asset_popularity.c.score).where(
                asset_popularity.c.asset_id.in_(chunk)
            )
        )
        out.update({int(r.asset_id): float(r.score) for r in rows})
    return out


def save_popularity(conn: Connection, scores: Mapping[int, float], now: datetime) -> None:
    """Store these scores and note the assets in the search outbox so the index re-ranks them."""
    if not scores:
        return
    stmt = _insert(conn, asset_popularity)
    stmt = stmt.on_conflict_do_update(
        index_elements=["asset_id"],
        set_={"score": stmt.excluded.score, "computed_at": stmt.excluded.computed_at},
    )
    conn.execute(stmt, [{"asset_id": a, "score": s, "computed_at": now} for a, s in scores.items()])
    for chunk in _chunks(sorted(scores)):
        conn.execute(
            sa.insert(search_outbox).from_select(
                ["asset_id", "urn"],
                sa.select(assets.c.id, assets.c.urn).where(assets.c.id.in_(chunk)),
            )
        )


def query_state(conn: Connection, source_id: int) -> dict[str, int]:
    rows = conn.execute(
        sa.select(query_usage_state.c.query_key, query_usage_state.c.calls).where(
            query_usage_state.c.source_id == source_id
        )
    )
    return {r.query_key: int(r.calls) for r in rows}


def save_query_state(
    conn: Connection, source_id: int, calls: Mapping[str, int], now: datetime
) -> None:
    if not calls:
        return
    stmt = _insert(conn, query_usage_state)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source_id", "query_key"],
        set_={"calls": stmt.excluded.calls, "seen_at": stmt.excluded.seen_at},
    )
    conn.execute(
        stmt,
        [
            {"source_id": source_id, "query_key": k, "calls": c, "seen_at": now}
            for k, c in calls.items()
        ],
    )


def daily_usage(conn: Connection, asset_id: int, since: date) -> list[dict[str, Any]]:
    """One asset's own usage rows since ``since``: day, kind, count, users."""
    rows = conn.execute(
        sa.select(usage_daily.c.day, usage_daily.c.kind, usage_daily.c.count, usage_daily.c.users)
        .where(usage_daily.c.asset_id == asset_id, usage_daily.c.day >= since)
        .order_by(usage_daily.c.day, usage_daily.c.kind)
    )
    return [dict(r) for r in rows.mappings()]


def recent_queries(conn: Connection, limit: int, user: str | None = None) -> list[dict[str, Any]]:
    """The newest search queries (for suggestions and the analytics page)."""
    query = sa.select(search_queries).order_by(search_queries.c.id.desc()).limit(limit)
    if user is not None:
        query = query.where(search_queries.c.user_name == user)
    return [dict(r) for r in conn.execute(query).mappings()]
