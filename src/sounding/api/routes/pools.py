"""/api/v1/pools: named slot capacities that workflow steps draw from (``pool: NAME``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Response

from sounding.api.deps import CtxDep, Reader, Runner
from sounding.api.routing import api_router
from sounding.api.schemas.pools import PoolCreate, PoolList, PoolPublic, PoolUpdate
from sounding.services import pools

router = api_router("/pools", tags=["orchestration"])


@router.get("", response_model=PoolList)
def list_pools(ctx: CtxDep, who: Reader) -> dict[str, Any]:
    items = [asdict(p) for p in pools.list_pools(ctx, who)]
    return {"items": items, "total": len(items)}


@router.post("", status_code=201, response_model=PoolPublic)
def create_pool(ctx: CtxDep, who: Runner, body: PoolCreate) -> dict[str, Any]:
    return asdict(pools.create_pool(ctx, who, body.name, body.slots))


@router.get("/{name}", response_model=PoolPublic)
def get_pool(ctx: CtxDep, who: Reader, name: str) -> dict[str, Any]:
    return asdict(pools.get_pool(ctx, who, name))


@router.patch("/{name}", response_model=PoolPublic)
def update_pool(ctx: CtxDep, who: Runner, name: str, body: PoolUpdate) -> dict[str, Any]:
    return asdict(pools.update_pool(ctx, who, name, body.slots))


@router.delete("/{name}", status_code=204)
def delete_pool(ctx: CtxDep, who: Runner, name: str) -> Response:
    pools.delete_pool(ctx, who, name)
    return Response(status_code=204)
