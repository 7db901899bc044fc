"""``/login`` and ``/logout``: a password makes a server-side session (see
``features/accounts/web_sessions.py``); the cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure``
when the request came over HTTPS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import AuthenticationError, PermissionDeniedError, RateLimitedError
from sounding.features.accounts import web_sessions
from sounding.ui.deps import COOKIE, CtxDep, OptionalSession, check_csrf, safe_next, same_origin
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, web: OptionalSession, next: str = "/") -> Response:
    if web is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "name": ""})


@router.post("/login")
def login(
    request: Request,
    ctx: CtxDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=web_sessions.MAX_PASSWORD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not same_origin(request):
        raise PermissionDeniedError("Log in from Sounding's own login page")
    address = request.client.host if request.client else "unknown"
    values = {"next": safe_next(next), "name": username}
    try:
        made = web_sessions.login(ctx, username.strip(), password, address)
    except AuthenticationError as exc:
        return render(request, "login.html", {**values, "error": exc.message}, status_code=401)
    except RateLimitedError as exc:
        wait = str(exc.details.get("retry_after", 60))
        return render(
            request,
            "login.html",
            {**values, "error": exc.message},
            status_code=429,
            headers={"Retry-After": wait},
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    # no Max-Age: the browser drops it when it closes; the server ends it when idle
    response.set_cookie(
        COOKIE,
        made.cookie,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, ctx: CtxDep, web: OptionalSession) -> Response:
    response = RedirectResponse("/login", status_code=303)
    if web is not None:
        await check_csrf(request, web)
        web_sessions.logout(ctx, request.cookies.get(COOKIE), web.principal.name)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response
