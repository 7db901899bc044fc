"""Usage: views, search hits and queries counted per asset and day, distinct users, the search
query log, popularity, and query-log imports.

``records`` (kinds, the popularity formula), ``service`` (the in-memory recorder, a part of
the runtime (``ctx.part(UsageRecorder)``) that a server flushes periodically; the use cases
reading counts), ``analytics`` (what it adds to catalog analytics and ``/metrics``),
``repo`` and ``tables`` with ``migrations/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sounding.services.features import AnalyticsWindow, Feature, Prunable, SearchFields

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from sounding.services.context import Context


def _start(ctx: Context) -> None:
    from sounding.features.usage.service import recorder

    recorder(ctx).start_flushing()


def _flush(ctx: Context) -> None:
    from sounding.features.usage.service import flush

    flush(ctx)


def _analytics(conn: Connection, window: AnalyticsWindow) -> Mapping[str, object]:
    from sounding.features.usage import analytics

    return analytics.sections(conn, window)


def _metrics(ctx: Context, conn: Connection) -> Mapping[str, object]:
    from sounding.features.usage import analytics

    return analytics.metrics(ctx, conn)


def _search_fields(
    conn: Connection, asset_ids: Sequence[int], object_ids: Sequence[int]
) -> SearchFields:
    """The assets' stored popularity (a ranking input)."""
    from sounding.features.usage import repo

    return SearchFields(popularity=repo.popularity_for(conn, asset_ids))


def _table(name: str) -> sa.Table:
    from sounding.features.usage import tables

    table: sa.Table = getattr(tables, name)
    return table


# daily counts by asset, the distinct users behind them, and the search query log
PRUNABLE = (
    Prunable("usage", lambda: _table("usage_daily"), "day"),
    Prunable("usage", lambda: _table("usage_users"), "day"),
    Prunable("usage", lambda: _table("search_queries"), "at"),
)


FEATURE = Feature(
    "usage",
    start=_start,
    flush=_flush,
    analytics=_analytics,
    metrics=_metrics,
    search_fields=_search_fields,
    prunable=PRUNABLE,
)
