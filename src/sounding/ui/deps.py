"""What every UI route depends on: the session, the permission it needs, and CSRF.

A page route takes ``web: UiReader`` (or another alias below): no session sends the browser
to the login page (htmx requests get an ``HX-Redirect``), a session without the permission
gets 403. Every request with a mutating method must carry the session's CSRF token, in the
``X-CSRF-Token`` header (``static/sounding.js`` adds it to every htmx request) or a
``csrf_token`` form field, and come from this origin when the browser says where it came
from; otherwise 403 and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from sounding.domain.auth import Permission
from sounding.errors import PermissionDeniedError
from sounding.features.access import service as access
from sounding.features.accounts import web_sessions
from sounding.features.accounts.web_sessions import WebSession
from sounding.services.context import Context

COOKIE = "sounding_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):  # noqa: N818 (a redirect, not an error a user sees)
    """No live session: the handler in ``ui/app.py`` sends the browser to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


CtxDep = Annotated[Context, Depends(get_ctx)]


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}" if next_path not in ("", "/") else "/login"


def safe_next(value: str | None) -> str:
    """Where to go after login: a path on this site only (never ``//host`` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def current_session(request: Request, ctx: CtxDep) -> WebSession | None:
    web = web_sessions.session(ctx, request.cookies.get(COOKIE))
    if web is not None:
        access.attach_grants(ctx, web.principal)  # the user's policies (per-process cache)
        request.state.principal = web.principal  # the access log and metrics name the user
    return web


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", request.url.netloc)


async def check_csrf(request: Request, web: WebSession) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        field = form.get("csrf_token")
        sent = field if isinstance(field, str) else None
    if not web_sessions.csrf_matches(web, sent) or not same_origin(request):
        raise PermissionDeniedError(
            "This form is stale or did not come from Sounding (missing or wrong CSRF token); "
            "reload the page and try again"
        )


def require_ui(permission: Permission, *, scoped: bool = False) -> Callable[..., object]:
    """A dependency: the live session, holding ``permission`` (``scoped``: globally or by a
    policy on some scope, the service checking the asset), CSRF-checked when mutating."""

    async def dependency(
        request: Request, web: Annotated[WebSession | None, Depends(current_session)]
    ) -> WebSession:
        if web is None:
            path = request.url.path
            if request.url.query and request.method in SAFE_METHODS:
                path += "?" + request.url.query
            raise LoginRequired(path if request.method in SAFE_METHODS else "/")
        request.state.ui = True  # errors from here on are pages (or htmx fragments), not JSON
        request.state.web = web  # error pages show the nav bar of who is logged in
        await check_csrf(request, web)
        if scoped:  # the service checks the asset's own scopes (catalog.require_on)
            web.principal.require_somewhere(permission)
        else:
            web.principal.require(permission)
        return web

    dependency.__name__ = f"ui_{permission.name.lower()}" + ("_on_asset" if scoped else "")
    return dependency


# one alias per permission, as in api/deps.py
UiReader = Annotated[WebSession, Depends(require_ui(Permission.CATALOG_READ))]
UiWriter = Annotated[WebSession, Depends(require_ui(Permission.CATALOG_WRITE))]
UiAssetWriter = Annotated[
    WebSession, Depends(require_ui(Permission.CATALOG_WRITE, scoped=True))
]  # the asset page's edits: catalog:write on the asset, globally or by a policy
UiRunner = Annotated[WebSession, Depends(require_ui(Permission.SCAN_RUN))]
UiSourceReader = Annotated[WebSession, Depends(require_ui(Permission.SOURCE_READ))]
UiManager = Annotated[WebSession, Depends(require_ui(Permission.SOURCE_MANAGE))]
UiPiiReader = Annotated[WebSession, Depends(require_ui(Permission.PII_READ))]
UiAdmin = Annotated[WebSession, Depends(require_ui(Permission.ADMIN))]
OptionalSession = Annotated[WebSession | None, Depends(current_session)]
