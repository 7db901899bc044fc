"""``/admin/policies``: access policies, for admins only (docs/access.md).

Each row grants a user a role's permissions on one scope (a domain, a source or a data
product); the form adds one, each row's button removes it. A change applies at once on this
server (the per-process grant cache is dropped), within a second on others sharing the store.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.auth import POLICY_ROLES, ScopeKind
from sounding.errors import ConflictError, InvalidInputError, NotFoundError, SoundingError
from sounding.features.access import service as access
from sounding.features.accounts import service as accounts
from sounding.ui.admin import MAX_PAGE, PAGE_SIZE, USERS_IN_CHOICE, _admin_page, _page, _status
from sounding.ui.deps import CtxDep, UiAdmin

router = APIRouter(include_in_schema=False)

ROLES = tuple(r.value for r in POLICY_ROLES)
KINDS = tuple(k.value for k in ScopeKind)
EMPTY_FORM = {"user": "", "role": "steward", "scope_kind": "domain", "scope": "", "unmasked": ""}


def _policies_page(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    page: int = 1,
    *,
    form: dict[str, str] | None = None,
    error: SoundingError | None = None,
) -> Response:
    _, total = access.list_policies(ctx, web.principal, 1, 0)
    page, pages = _page(page, total)
    items, total = access.list_policies(ctx, web.principal, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    people, _ = accounts.list_users(ctx, web.principal, USERS_IN_CHOICE, 0)
    values: dict[str, Any] = {
        "policies": items,
        "total": total,
        "page": page,
        "pages": pages,
        "users": [u for u in people if not u.disabled],
        "roles": ROLES,
        "kinds": KINDS,
        "form": form or EMPTY_FORM,
        "error": error.message if error else None,
        "error_field": error.details.get("field") if error else None,
        "created": request.query_params.get("created"),
        "deleted": request.query_params.get("deleted"),
    }
    status = _status(error) if error else 200
    return _admin_page(request, web, "admin/policies.html", values, status)


@router.get("/admin/policies")
def policies(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    return _policies_page(request, ctx, web, page)


@router.post("/admin/policies")
def create_policy(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    user: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=30)] = "",
    scope_kind: Annotated[str, Form(max_length=30)] = "",
    scope: Annotated[str, Form(max_length=200)] = "",
    unmasked: Annotated[str, Form(max_length=10)] = "",
    description: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """One policy; nothing is made when a field is wrong (the form comes back with it)."""
    form = {
        "user": user,
        "role": role,
        "scope_kind": scope_kind,
        "scope": scope.strip(),
        "unmasked": unmasked,
        "description": description,
    }
    try:
        if not user:
            raise InvalidInputError("Choose the user the policy grants to", field="user")
        made = access.create_policy(
            ctx,
            web.principal,
            user,
            role,
            scope_kind,
            scope,
            unmasked=bool(unmasked),
            description=description.strip() or None,
        )
    except (InvalidInputError, ConflictError, NotFoundError) as exc:
        if isinstance(exc, NotFoundError) and "source" in exc.message.lower():
            exc.details.setdefault("field", "scope")
        return _policies_page(request, ctx, web, form=form, error=exc)
    return RedirectResponse(f"/admin/policies?created={made.id}", status_code=303)


@router.post("/admin/policies/{policy_id}/delete")
def delete_policy(
    ctx: CtxDep, web: UiAdmin, policy_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Response:
    gone = access.delete_policy(ctx, web.principal, policy_id)
    return RedirectResponse(f"/admin/policies?deleted={gone.id}", status_code=303)
