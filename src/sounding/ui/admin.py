"""``/admin``: administration, for admins only (everyone else gets 403 pages, and the Admin
entry of the nav is hidden from them).

- ``/admin/users``: users and roles; create a user with a role and a web password, change a
  role, disable or enable (the accounts service keeps users for the audit log: no delete).
- ``/admin/tokens``: API tokens of every user; create one (its only showing is the answer to
  the form that made it: a resubmitted form is refused, lists show its first characters
  only), revoke one (it stops working against the API at once).
- ``/admin/policies``: access policies (``ui/policies.py``).
- ``/admin/audit``: the audit log, filtered by actor, action, target and time, paged.
- ``/admin/health``: queue, running tasks, per-source load, executor and scheduler lag of
  this server process (read from the engine only when it runs: nothing is started).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.accounts import AuditFilter
from sounding.domain.auth import Role
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SoundingError,
)
from sounding.features.accounts import service as accounts
from sounding.features.accounts import web_sessions
from sounding.services import health, retention
from sounding.ui.deps import CtxDep, UiAdmin
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = 200  # 10,000 records by page; narrow the filters to reach older ones
USERS_IN_CHOICE = 1000  # the token form's user list
ROLES = tuple(r.value for r in Role)
EXPIRY_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "the default"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "1 year"),
    ("never", "never"),
)
SECTIONS = (
    ("Users", "/admin/users"),
    ("API tokens", "/admin/tokens"),
    ("Policies", "/admin/policies"),
    ("Channels", "/admin/channels"),
    ("Deliveries", "/admin/deliveries"),
    ("Audit log", "/admin/audit"),
    ("Health", "/admin/health"),
)
DONE = {
    "created": "created",
    "role": "now has a new role",
    "disabled": "is disabled: their tokens and sessions stop working",
    "enabled": "is enabled again",
    "password": "has a new password: their open web sessions ended",
}
STATUS = {InvalidInputError: 422, ConflictError: 409, NotFoundError: 404}


class _SpentForms:
    """Token forms already answered (their random ids, per process, bounded): submitting one
    again (a reload of the answer, the back button) makes no second token and never shows
    the first one again."""

    def __init__(self, size: int = 10_000, ttl: float = 86_400.0) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._size, self._ttl = size, ttl

    def spend(self, form_id: str) -> bool:
        """True the first time ``form_id`` is seen."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                len(self._seen) >= self._size or next(iter(self._seen.values())) < now - self._ttl
            ):
                self._seen.popitem(last=False)
            if form_id in self._seen:
                return False
            self._seen[form_id] = now
            return True


SPENT = _SpentForms()


def _status(exc: SoundingError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def _page(value: int, total: int) -> tuple[int, int]:
    """The page to show (1-based, within what exists) and the number of pages."""
    pages = max(1, -(-total // PAGE_SIZE))
    return min(value, pages), pages


def _admin_page(
    request: Request,
    web: UiAdmin,
    template: str,
    values: dict[str, Any],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        template,
        {"sections": SECTIONS, **values},
        web=web,
        status_code=status_code,
    )


@router.get("/admin")
def index(web: UiAdmin) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


# -- users ------------------------------------------------------------------------------


def _users_page(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    page: int = 1,
    *,
    form: dict[str, str] | None = None,
    error: SoundingError | None = None,
    row_error: tuple[str, SoundingError] | None = None,
) -> Response:
    _, total = accounts.list_users(ctx, web.principal, 1, 0)
    page, pages = _page(page, total)
    users, total = accounts.list_users(ctx, web.principal, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    done = request.query_params.get("done")
    values = {
        "users": users,
        "total": total,
        "page": page,
        "pages": pages,
        "roles": ROLES,
        "form": form or {"name": "", "role": Role.VIEWER.value},
        "error": error.message if error else None,
        "error_field": error.details.get("field") if error else None,
        "row_error": (row_error[0], row_error[1].message) if row_error else None,
        "done": DONE.get(done or ""),
        "done_user": request.query_params.get("user"),
        "min_password": web_sessions.MIN_PASSWORD,
    }
    status = _status(error) if error else 200
    if row_error:
        status = _status(row_error[1])
    return _admin_page(request, web, "admin/users.html", values, status)


@router.get("/admin/users")
def users(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    return _users_page(request, ctx, web, page)


@router.post("/admin/users")
def create_user(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=30)] = "",
    password: Annotated[str, Form(max_length=web_sessions.MAX_PASSWORD)] = "",
    confirm: Annotated[str, Form(max_length=web_sessions.MAX_PASSWORD)] = "",
) -> Response:
    """A user with a role and a web password; nothing is made when any field is wrong."""
    name = name.strip()
    form = {"name": name, "role": role}
    try:
        if role not in ROLES:
            raise InvalidInputError(f"Choose a role: one of {', '.join(ROLES)}", field="role")
        web_sessions.check_password(password)
        if password != confirm:
            raise InvalidInputError("The two passwords differ; type it twice", field="confirm")
        created = accounts.create_user(ctx, web.principal, name, role)
    except (InvalidInputError, ConflictError) as exc:
        return _users_page(request, ctx, web, form=form, error=exc)
    web_sessions.set_password(ctx, web.principal, created.name, password)
    return RedirectResponse(f"/admin/users?done=created&user={created.name}", status_code=303)


def _not_yourself(web: UiAdmin, name: str, what: str) -> None:
    if name == web.principal.name:
        raise ConflictError(
            f"You cannot {what} yourself: ask another admin (so an admin always remains)",
            user=name,
        )


@router.post("/admin/users/{name}/role")
def change_role(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    name: str,
    role: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    try:
        if role != Role.ADMIN.value:
            _not_yourself(web, name, "demote")
        updated = accounts.update_user(ctx, web.principal, name, role, None)
    except (InvalidInputError, ConflictError) as exc:
        return _users_page(request, ctx, web, row_error=(name, exc))
    return RedirectResponse(f"/admin/users?done=role&user={updated.name}", status_code=303)


@router.post("/admin/users/{name}/disable")
def disable_user(request: Request, ctx: CtxDep, web: UiAdmin, name: str) -> Response:
    try:
        _not_yourself(web, name, "disable")
    except ConflictError as exc:
        return _users_page(request, ctx, web, row_error=(name, exc))
    updated = accounts.update_user(ctx, web.principal, name, None, True)
    return RedirectResponse(f"/admin/users?done=disabled&user={updated.name}", status_code=303)


@router.post("/admin/users/{name}/enable")
def enable_user(ctx: CtxDep, web: UiAdmin, name: str) -> Response:
    updated = accounts.update_user(ctx, web.principal, name, None, False)
    return RedirectResponse(f"/admin/users?done=enabled&user={updated.name}", status_code=303)


@router.post("/admin/users/{name}/password")
def set_password(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    name: str,
    password: Annotated[str, Form(max_length=web_sessions.MAX_PASSWORD)] = "",
    confirm: Annotated[str, Form(max_length=web_sessions.MAX_PASSWORD)] = "",
) -> Response:
    """A new web password for another user (it ends their sessions); yours: use the CLI."""
    try:
        _not_yourself(web, name, "reset the password of")
        web_sessions.check_password(password)
        if password != confirm:
            raise InvalidInputError("The two passwords differ; type it twice", field="confirm")
        web_sessions.set_password(ctx, web.principal, name, password)
    except (InvalidInputError, ConflictError) as exc:
        return _users_page(request, ctx, web, row_error=(name, exc))
    return RedirectResponse(f"/admin/users?done=password&user={quote(name)}", status_code=303)


# -- API tokens --------------------------------------------------------------------------


def _tokens_page(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    page: int = 1,
    show: str = "live",
    *,
    created: Any = None,
    form: dict[str, str] | None = None,
    error: SoundingError | None = None,
) -> Response:
    live_only = show != "all"
    _, total = accounts.list_all_tokens(ctx, web.principal, 1, 0, live_only=live_only)
    page, pages = _page(page, total)
    offset = (page - 1) * PAGE_SIZE
    tokens, total = accounts.list_all_tokens(
        ctx, web.principal, PAGE_SIZE, offset, live_only=live_only
    )
    people, _ = accounts.list_users(ctx, web.principal, USERS_IN_CHOICE, 0)
    values = {
        "tokens": tokens,
        "total": total,
        "page": page,
        "pages": pages,
        "show": "all" if not live_only else "live",
        "now": datetime.now(UTC),
        "users": [u for u in people if not u.disabled],
        "expiries": EXPIRY_CHOICES,
        "created": created,
        "form": form or {"user": "", "name": "", "expires_in": ""},
        "form_id": secrets.token_urlsafe(16),
        "error": error.message if error else None,
        "error_field": error.details.get("field") if error else None,
        "revoked": request.query_params.get("revoked"),
    }
    return _admin_page(request, web, "admin/tokens.html", values, _status(error) if error else 200)


@router.get("/admin/tokens")
def tokens(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    show: Annotated[str, Query(pattern="^(live|all)$")] = "live",
) -> Response:
    return _tokens_page(request, ctx, web, page, show)


@router.post("/admin/tokens")
def create_token(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    form_id: Annotated[str, Form(min_length=16, max_length=64)],
    user: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    expires_in: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A new token, shown on this answer only."""
    form = {"user": user, "name": name.strip(), "expires_in": expires_in}
    if not SPENT.spend(form_id):
        raise ConflictError(
            "This form was already sent: the token it made was shown once and is never shown "
            "again. If it was lost, revoke it on the API tokens page and create another."
        )
    try:
        if not user:
            raise InvalidInputError("Choose the user the token acts as", field="user")
        created = accounts.create_token(
            ctx, web.principal, user, name.strip() or None, expires_in or None
        )
    except (InvalidInputError, NotFoundError) as exc:
        return _tokens_page(request, ctx, web, form=form, error=exc)
    return _tokens_page(request, ctx, web, created=created)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(
    ctx: CtxDep, web: UiAdmin, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Response:
    accounts.revoke_token(ctx, web.principal, token_id)
    return RedirectResponse(f"/admin/tokens?revoked={token_id}", status_code=303)


# -- the audit log -----------------------------------------------------------------------


def _when(value: str | None, field: str) -> datetime | None:
    """A time from a ``datetime-local`` input (or ISO 8601), taken as UTC when it names no
    zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{value!r} is not a time: use YYYY-MM-DDTHH:MM (UTC)", field=field
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/admin/audit")
def audit(
    request: Request,
    ctx: CtxDep,
    web: UiAdmin,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=2000)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    form = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    error: SoundingError | None = None
    entries: list[Any] = []
    total, pages = 0, 1
    try:
        where = AuditFilter(
            actor=actor.strip() or None,
            action=action.strip() or None,
            target=target.strip() or None,
            since=_when(since, "since"),
            until=_when(until, "until"),
        )
        entries, total = accounts.search_audit(
            ctx, web.principal, where, PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
        pages = max(1, min(MAX_PAGE, -(-total // PAGE_SIZE)))
    except InvalidInputError as exc:
        error = exc
    values = {
        "entries": entries,
        "total": total,
        "page": page,
        "pages": pages,
        "form": form,
        "filtered": any(v.strip() for v in form.values()),
        "actions": accounts.audit_actions(ctx, web.principal),
        "error": error.message if error else None,
        "error_field": error.details.get("field") if error else None,
    }
    return _admin_page(request, web, "admin/audit.html", values, 422 if error else 200)


# -- system health -----------------------------------------------------------------------


@router.get("/admin/health")
def system_health(request: Request, ctx: CtxDep, web: UiAdmin) -> Response:
    found = health.runtime_health(ctx, web.principal)
    kept = retention.state(ctx, web.principal)
    return _admin_page(request, web, "admin/health.html", {"health": found, "retention": kept})
