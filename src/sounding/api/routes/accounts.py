"""/api/v1/users, /tokens, /audit and /me: accounts and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Response

from sounding.api.deps import Admin, CtxDep, PageDep, get_principal
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas import (
    AuditPage,
    MePublic,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenRotate,
    UserCreate,
    UserPage,
    UserPublic,
    UserUpdate,
)
from sounding.domain.accounts import NewToken, User
from sounding.domain.auth import Principal
from sounding.features.accounts import service as accounts

router = api_router(tags=["accounts"])


@router.get("/me", response_model=MePublic)
def me(who: Annotated[Principal, Depends(get_principal)]) -> dict[str, Any]:
    scoped = sorted(
        f"{perm.value} on {g.scope.kind.value} {g.scope.name}"
        for g in who.grants
        for perm in g.permissions
    )
    return {
        "name": who.name,
        "role": who.role.value,
        "permissions": sorted(who.permissions),
        "scoped_permissions": scoped,
    }


@router.get("/users", response_model=UserPage)
def list_users(ctx: CtxDep, who: Admin, page: PageDep) -> dict[str, Any]:
    items, total = accounts.list_users(ctx, who, page.limit, page.offset)
    return page.result(items, total)


@router.post("/users", status_code=201, response_model=UserPublic)
def create_user(ctx: CtxDep, who: Admin, body: UserCreate) -> User:
    return accounts.create_user(ctx, who, body.name, body.role)


@router.patch("/users/{name}", response_model=UserPublic)
def update_user(ctx: CtxDep, who: Admin, name: str, body: UserUpdate) -> User:
    return accounts.update_user(ctx, who, name, body.role, body.disabled)


@router.get("/users/{name}/tokens", response_model=TokenList)
def list_tokens(ctx: CtxDep, who: Admin, name: str) -> dict[str, Any]:
    items = accounts.list_tokens(ctx, who, name)
    return {"items": items, "total": len(items)}


@router.post("/users/{name}/tokens", status_code=201, response_model=TokenCreated)
def create_token(ctx: CtxDep, who: Admin, name: str, body: TokenCreate | None = None) -> NewToken:
    body = body or TokenCreate()
    return accounts.create_token(ctx, who, name, body.name, body.expires_in)


@router.post("/tokens/{token_id}/rotate", status_code=201, response_model=TokenCreated)
def rotate_token(
    ctx: CtxDep,
    who: Annotated[Principal, Depends(get_principal)],
    token_id: int,
    body: TokenRotate | None = None,
) -> NewToken:
    """A new token in place of this one (which stops working now): admins rotate any token,
    users their own."""
    return accounts.rotate_token(ctx, who, token_id, body.expires_in if body else None)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(ctx: CtxDep, who: Admin, token_id: Id) -> Response:
    accounts.revoke_token(ctx, who, token_id)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
def audit_log(
    ctx: CtxDep,
    who: Admin,
    page: PageDep,
    user: Annotated[str | None, Query(max_length=200, description="Only this actor")] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=2000, description="Only this target")] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
) -> dict[str, Any]:
    order = accounts.AUDIT_ORDER
    items, total = accounts.audit_entries(
        ctx,
        who,
        page.limit,
        page.offset,
        user,
        action,
        page.after(order),
        target=target,
        since=since,
        until=until,
    )
    return page.result(items, total, order)
