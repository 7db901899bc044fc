"""/api/v1/analytics/catalog, asset usage and query-log usage ingestion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from sounding.api.deps import CtxDep, Reader, Runner
from sounding.api.routing import api_router
from sounding.api.schemas import AssetUsagePublic, CatalogAnalyticsPublic, QueryUsageIngested
from sounding.features.usage import service as usage
from sounding.features.usage.records import AssetUsage, QueryUsageAdded
from sounding.services import analytics

router = api_router(tags=["analytics"])
Days = Annotated[int, Query(ge=1, le=366, description="UTC days back, today included")]


@router.get("/analytics/catalog", response_model=CatalogAnalyticsPublic)
def catalog_analytics(ctx: CtxDep, who: Reader, days: Days = 30) -> dict[str, Any]:
    """Asset counts, coverage, most used and unused assets, searches, schema changes, trend."""
    return analytics.catalog_analytics(ctx, who, days)


@router.get("/assets/{ref}/usage", response_model=AssetUsagePublic)
def asset_usage(ctx: CtxDep, who: Reader, ref: str, days: Days = 30) -> AssetUsage:
    """An asset's popularity and its views, search hits and query calls per day."""
    return usage.asset_usage(ctx, who, ref, days)


@router.post("/sources/{name}/usage/ingest", response_model=QueryUsageIngested)
def ingest_usage(ctx: CtxDep, who: Runner, name: str) -> QueryUsageAdded:
    """Add the calls in the source's ``pg_stat_statements`` as query usage of its tables."""
    return usage.ingest_query_usage(ctx, who, name)
