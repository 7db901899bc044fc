"""/api/v1/pools: named slot capacities that workflow steps draw from (``pool: NAME``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from sounding.api.deps import CtxDep, Reader, Runner
from sounding.api.validation import RequestModel
from sounding.services import pools

router = APIRouter(prefix="/pools", tags=["orchestration"])


class PoolCreate(RequestModel):
    name: str = Field(description="1-100 letters, digits, '_', '-' or '.'")
    slots: int = Field(description="How many slots tasks may hold at once")


class PoolUpdate(RequestModel):
    slots: int


class PoolPublic(BaseModel):
    name: str
    slots: int
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


class PoolPage(BaseModel):
    items: list[PoolPublic]
    total: int


@router.get("", response_model=PoolPage)
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
