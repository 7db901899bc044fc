"""Request dependencies: the services context, the caller, and permission checks."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from sounding.api.paging import PageParams, SearchPageParams
from sounding.domain.auth import Permission, Principal
from sounding.features.access import service as access
from sounding.features.accounts import service as accounts
from sounding.services.context import Context

T = TypeVar("T")


def on_loop(cls: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """``cls`` as an async dependency with the same parameters: FastAPI runs a class (or any
    sync callable) dependency in the thread pool, a hand-off that costs more than building a
    small object that does no I/O."""

    async def build(**values: object) -> T:
        return cls(**values)

    build.__signature__ = inspect.signature(cls, eval_str=True)  # type: ignore[attr-defined]
    build.__name__ = getattr(cls, "__name__", "dependency")
    return build


# Dependencies that do no I/O are ``async``: FastAPI runs a sync dependency in the thread
# pool, and under load those hand-offs (three per request before the route ran) cost more
# than the work itself (issue 20)
async def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def get_principal(request: Request, ctx: Annotated[Context, Depends(get_ctx)]) -> Principal:
    """The caller. On a SQLite store the token is looked up on the event loop (one indexed
    read of a local file, microseconds; a write-ahead-log read never waits for the writer):
    a trip to the thread pool for it cost more than the lookup under load (issue 20). Only
    the rare ``last_used_at`` update goes to a worker. On PostgreSQL the lookup is a network
    round trip and runs in a worker, as FastAPI runs a sync dependency, unless the token and
    the policies were read in the last second (``accounts.CHECK_EVERY``): then no I/O."""
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    token = raw.strip() if scheme.lower() == "bearer" else None
    if ctx.db.is_sqlite:
        principal, stale = accounts.check_token(ctx, token, on_loop=True)
        if stale is not None:
            await run_in_threadpool(accounts.touch_token, ctx, stale)
        # the user's policies, from the per-process cache (a miss reads the store once)
        access.attach_grants(ctx, principal)
    else:
        # a token and policies looked up in the last second need no I/O: answered on the loop
        cached = accounts.check_cached_token(ctx, token)
        found = None
        if cached is not None and cached[1] is None:
            found = access.attach_cached_grants(ctx, cached[0])
        if found is None:
            found = await run_in_threadpool(_authenticate, ctx, token)
        principal = found
    request.state.principal = principal
    return principal


def _authenticate(ctx: Context, token: str | None) -> Principal:
    return access.attach_grants(ctx, accounts.authenticate(ctx, token))


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
# built by an async factory: FastAPI runs a class dependency in the thread pool
PageDep = Annotated[PageParams, Depends(on_loop(PageParams))]
SearchPageDep = Annotated[SearchPageParams, Depends(on_loop(SearchPageParams))]

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
