"""Usage in catalog analytics and ``/metrics``: the most used and unused objects, the usage
trend, the search log's summary (registered as the usage feature's ``analytics`` and
``metrics`` hooks; definitions in docs/analytics.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.usage.records import UsageKind
from sounding.features.usage.tables import asset_popularity, search_queries, usage_daily
from sounding.services.context import Context
from sounding.services.features import AnalyticsWindow
from sounding.store.repos import analytics as core
from sounding.store.tables import assets, sources

TOP = 10  # most used objects, top searches
UNUSED_LISTED = 50  # unused objects listed (all are counted)
USE_KINDS = (UsageKind.VIEW.value, UsageKind.QUERY.value)
TREND_KEYS = {"view": "views", "search_hit": "search_hits", "query": "queries"}


def usage_per_object(conn: Connection, since: date) -> dict[int, dict[str, int]]:
    """Per live object: its uses since ``since`` by kind, its columns' included."""
    rolled = core.ROLLED_ID.label("object_id")
    rows = conn.execute(
        sa.select(rolled, usage_daily.c.kind, sa.func.sum(usage_daily.c.count))
        .join(assets, assets.c.id == usage_daily.c.asset_id)
        .where(usage_daily.c.day >= since)
        .group_by(rolled, usage_daily.c.kind)
    )
    out: dict[int, dict[str, int]] = {}
    for object_id, kind, n in rows:
        if object_id is not None:
            out.setdefault(int(object_id), {})[str(kind)] = int(n)
    return out


def objects(conn: Connection, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Live objects (all, or these ids) with their source and popularity, by qualified name."""
    query = (
        sa.select(
            assets.c.id,
            assets.c.urn,
            assets.c.name,
            assets.c.qualified_name,
            assets.c.type,
            assets.c.owner,
            sources.c.name.label("source"),
            sa.func.coalesce(asset_popularity.c.score, 0.0).label("popularity"),
        )
        .join(sources, sources.c.id == assets.c.source_id)
        .outerjoin(asset_popularity, asset_popularity.c.asset_id == assets.c.id)
        .where(core.IS_OBJECT)
        .order_by(sources.c.name, assets.c.qualified_name)
    )
    if ids is not None:
        query = query.where(assets.c.id.in_(ids))
    return [dict(r) for r in conn.execute(query).mappings()]


def usage_per_day(conn: Connection, since: date) -> dict[tuple[date, str], int]:
    rows = conn.execute(
        sa.select(usage_daily.c.day, usage_daily.c.kind, sa.func.sum(usage_daily.c.count))
        .where(usage_daily.c.day >= since)
        .group_by(usage_daily.c.day, usage_daily.c.kind)
    )
    return {(d if isinstance(d, date) else date.fromisoformat(d), k): int(n) for d, k, n in rows}


def searches_per_day(conn: Connection, since: datetime) -> dict[date, int]:
    day = core.utc_day(conn, search_queries.c.at).label("day")
    rows = conn.execute(
        sa.select(day, sa.func.count()).where(search_queries.c.at >= since).group_by(day)
    )
    return {(d if isinstance(d, date) else date.fromisoformat(str(d))): int(n) for d, n in rows}


def search_summary(conn: Connection, since: datetime, top: int) -> dict[str, Any]:
    recent = search_queries.c.at >= since
    total = conn.execute(sa.select(sa.func.count()).where(recent)).scalar_one()
    zero = conn.execute(
        sa.select(sa.func.count()).where(recent, search_queries.c.result_count == 0)
    ).scalar_one()
    text = sa.func.lower(search_queries.c.query).label("query")
    n = sa.func.count().label("n")
    rows = conn.execute(
        sa.select(text, n).where(recent).group_by(text).order_by(n.desc(), text).limit(top)
    )
    return {
        "total": int(total),
        "zero_results": int(zero),
        "top": [{"query": q, "count": int(c)} for q, c in rows],
    }


def search_query_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(search_queries)).scalar_one())


def _object_public(row: dict[str, Any], uses: dict[str, int]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "urn": row["urn"],
        "name": row["name"],
        "qualified_name": row["qualified_name"],
        "type": row["type"],
        "source": row["source"],
        "owner": row["owner"],
        "popularity": round(float(row["popularity"]), 4),
        "views": uses.get(UsageKind.VIEW.value, 0),
        "queries": uses.get(UsageKind.QUERY.value, 0),
        "search_hits": uses.get(UsageKind.SEARCH_HIT.value, 0),
    }


def _usage_sections(conn: Connection, since_day: date) -> dict[str, Any]:
    per_object = usage_per_object(conn, since_day)
    rows = objects(conn)
    used = {i for i, kinds in per_object.items() if any(kinds.get(k) for k in USE_KINDS)}
    ranked = sorted(
        (r for r in rows if r["id"] in used),
        key=lambda r: (-sum(per_object[r["id"]].get(k, 0) for k in USE_KINDS), r["id"]),
    )
    unused = [r for r in rows if r["id"] not in used]
    return {
        "most_used": [_object_public(r, per_object[r["id"]]) for r in ranked[:TOP]],
        "unused": {
            "count": len(unused),
            "items": [_object_public(r, per_object.get(r["id"], {})) for r in unused][
                :UNUSED_LISTED
            ],
        },
    }


def _trend(conn: Connection, since_day: date, days: int, since: datetime) -> list[dict[str, Any]]:
    per_day = usage_per_day(conn, since_day)
    searches = searches_per_day(conn, since)
    out = []
    for i in range(days):
        day = since_day + timedelta(days=i)
        entry: dict[str, Any] = {"day": day.isoformat()}
        for kind, key in TREND_KEYS.items():
            entry[key] = per_day.get((day, kind), 0)
        entry["searches"] = searches.get(day, 0)
        out.append(entry)
    return out


def sections(conn: Connection, window: AnalyticsWindow) -> Mapping[str, object]:
    """``most_used``, ``unused``, ``usage_trend`` and ``searches`` of catalog analytics."""
    return {
        **_usage_sections(conn, window.since_day),
        "usage_trend": _trend(conn, window.since_day, window.days, window.since),
        "searches": search_summary(conn, window.since, TOP),
    }


def metrics(ctx: Context, conn: Connection) -> Mapping[str, object]:
    from sounding.features.usage.service import recorder

    return {"search_queries": search_query_count(conn), "usage_pending": recorder(ctx).pending}
