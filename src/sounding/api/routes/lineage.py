"""Lineage: parse SQL, ingest it, add manual edges, and walk the graph of an asset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from sounding.api.deps import CtxDep, Reader, Writer
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas import (
    EdgeCreate,
    EdgeCreated,
    ImpactPublic,
    LineageGraphPublic,
    LineageIngest,
    LineageParse,
    OpenLineageIngested,
    SqlLineageIngested,
    SqlLineagePublic,
)
from sounding.domain.lineage import Impact, LineageGraph, ManualEdge
from sounding.services import lineage, openlineage, sql_workers

router = api_router(tags=["lineage"])


@router.post(
    "/lineage",
    status_code=201,
    response_model=OpenLineageIngested,
    response_model_exclude_unset=True,  # an ignored event answers status, event_type, edges
)
def openlineage_event(ctx: CtxDep, who: Writer, event: dict[str, Any]) -> dict[str, Any]:
    """An OpenLineage run event (the path the OpenLineage HTTP transport posts to)."""
    return openlineage.ingest_event(ctx, who, event)


@router.post("/lineage/parse", response_model=SqlLineagePublic)
def parse(ctx: CtxDep, who: Reader, body: LineageParse) -> dict[str, Any]:
    """Table and column lineage of SQL, stored nowhere. Parsed in one of
    ``SOUNDING_HEAVY_REQUESTS`` worker processes (503 with ``Retry-After`` when all are busy)."""
    workers = sql_workers.workers(ctx)
    return lineage.parse_sql(body.sql, body.dialect, body.schema_, workers).to_dict()


@router.post("/lineage/sql", response_model=SqlLineageIngested)
def ingest(ctx: CtxDep, who: Writer, body: LineageIngest) -> dict[str, Any]:
    """Store the lineage of SQL run against a source; names are tied to its assets. Parsed
    like ``/lineage/parse``."""
    workers = sql_workers.workers(ctx)
    return lineage.ingest_sql(ctx, who, body.source, body.sql, body.dialect, workers)


@router.post("/lineage/edges", status_code=201, response_model=EdgeCreated)
def create_edge(ctx: CtxDep, who: Writer, body: EdgeCreate) -> ManualEdge:
    """A manual edge between two assets (or two columns)."""
    return lineage.add_manual_edge(ctx, who, body.source, body.target, body.description)


@router.delete("/lineage/edges/{edge_id}", status_code=204)
def delete_edge(ctx: CtxDep, who: Writer, edge_id: Id) -> Response:
    lineage.delete_edge(ctx, who, edge_id)
    return Response(status_code=204)


@router.get("/assets/{ref}/lineage", response_model=LineageGraphPublic)
def asset_lineage(
    ctx: CtxDep,
    who: Reader,
    ref: str,
    direction: Annotated[str, Query(pattern="^(upstream|downstream|both)$")] = "both",
    depth: Annotated[int, Query(ge=1, le=20)] = 3,
    level: Annotated[str, Query(pattern="^(table|column)$")] = "table",
) -> LineageGraph:
    """Nodes and edges upstream and/or downstream of an asset, cycle-safe and capped."""
    return lineage.lineage_graph(ctx, who, ref, direction, depth, level)


@router.get("/assets/{ref}/impact", response_model=ImpactPublic)
def asset_impact(
    ctx: CtxDep, who: Reader, ref: str, depth: Annotated[int, Query(ge=1, le=20)] = 10
) -> Impact:
    """Everything downstream by distance, with owners, criticality, and critical paths."""
    return lineage.impact(ctx, who, ref, depth)
