"""/api/v1/policies: who holds a role's permissions on which domain, source or data product
(admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from sounding.api.deps import Admin, CtxDep, PageDep
from sounding.api.paging import Id
from sounding.api.routing import api_router
from sounding.api.schemas import PolicyCreate, PolicyPage, PolicyPublic
from sounding.features.access import service as access
from sounding.features.access.records import Policy

router = api_router("/policies", tags=["access"])


def _public(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "user": policy.user,
        "role": policy.role,
        "scope_kind": policy.scope_kind,
        "scope": policy.scope,
        "unmasked": policy.unmasked,
        "permissions": list(policy.permissions),
        "description": policy.description,
        "created_by": policy.created_by,
        "created_at": policy.created_at,
    }


@router.get("", response_model=PolicyPage)
def list_policies(
    ctx: CtxDep,
    who: Admin,
    page: PageDep,
    user: Annotated[str | None, Query(max_length=200)] = None,
    scope_kind: Annotated[str | None, Query(description="domain, source or data_product")] = None,
    scope: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    items, total = access.list_policies(
        ctx, who, page.limit, page.offset, user=user, scope_kind=scope_kind, scope=scope
    )
    return page.result([_public(p) for p in items], total)


@router.post("", status_code=201, response_model=PolicyPublic)
def create_policy(ctx: CtxDep, who: Admin, body: PolicyCreate) -> dict[str, Any]:
    """Grant a user a role's permissions on a domain, source or data product (409 when the
    user already has a policy on that scope)."""
    policy = access.create_policy(
        ctx,
        who,
        body.user,
        body.role,
        body.scope_kind,
        body.scope,
        unmasked=body.unmasked,
        description=body.description,
    )
    return _public(policy)


@router.get("/{policy_id}", response_model=PolicyPublic)
def get_policy(ctx: CtxDep, who: Admin, policy_id: Id) -> dict[str, Any]:
    return _public(access.get_policy(ctx, who, policy_id))


@router.delete("/{policy_id}", response_model=PolicyPublic)
def delete_policy(ctx: CtxDep, who: Admin, policy_id: Id) -> dict[str, Any]:
    """Remove a policy; its grants stop at once. Answers the removed policy."""
    return _public(access.delete_policy(ctx, who, policy_id))
