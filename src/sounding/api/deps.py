"""Request dependencies: the services context, the caller, and permission checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from sounding.api.paging import PageParams, SearchPageParams
from sounding.domain.auth import Permission, Principal
from sounding.features.access import service as access
from sounding.features.accounts import service as accounts
from sounding.services.context import Context


# Dependencies that do no I/O are ``async``: FastAPI runs a sync dependency in the thread
# pool, and under load those hand-offs (three per request before the route ran) cost more
# than the work itself (issue 20)
async def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def get_principal(request: Request, ctx: Annotated[Context, Depends(get_ctx)]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal = accounts.authenticate(ctx, token.strip() if scheme.lower() == "bearer" else None)
    access.attach_grants(ctx, principal)  # the user's policies, from the per-process cache
    request.state.principal = principal
    return principal


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates and checks one permission globally before anything
    else runs (``tools/api_permissions.py`` reads ``permission`` off it for docs/api.md)."""

    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(permission)
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.scoped = False  # type: ignore[attr-defined]
    return dependency


def require_scoped(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency for asset-scoped routes: the caller holds ``permission`` globally or
    through a policy on some scope; the service then checks the asset's own scopes
    (``catalog.require_on``) and answers 403 naming the permission, the asset and its
    scopes."""

    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require_somewhere(permission)
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}_on_asset"
    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.scoped = True  # type: ignore[attr-defined]
    return dependency


CtxDep = Annotated[Context, Depends(get_ctx)]
PageDep = Annotated[PageParams, Depends()]
SearchPageDep = Annotated[SearchPageParams, Depends()]

# The caller, authenticated and holding one permission: one alias per permission, used by
# every route (``who: Reader``).
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]
# catalog:write on the asset the route names: globally, or by a policy on its domain/source
AssetWriter = Annotated[Principal, Depends(require_scoped(Permission.CATALOG_WRITE))]
Runner = Annotated[Principal, Depends(require(Permission.SCAN_RUN))]
SourceReader = Annotated[Principal, Depends(require(Permission.SOURCE_READ))]
Manager = Annotated[Principal, Depends(require(Permission.SOURCE_MANAGE))]
PiiReader = Annotated[Principal, Depends(require(Permission.PII_READ))]
Admin = Annotated[Principal, Depends(require(Permission.ADMIN))]
