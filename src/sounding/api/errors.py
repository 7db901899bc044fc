"""The one place that maps Sounding errors to HTTP responses: {"error": {type, message, ...}}."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, compile_path

from sounding import errors as e
from sounding.api.openapi import ErrorDetail, ErrorPublic
from sounding.domain.credentials import redact

logger = logging.getLogger(__name__)

STATUS: list[tuple[type[e.SoundingError], int]] = [
    (e.UnsupportedSourceError, 422),
    (e.TooLargeError, 413),
    (e.ConnectionFailedError, 400),
    (e.SourceTimeoutError, 504),
    (e.InvalidInputError, 422),
    (e.ParseError, 422),
    (e.NotFoundError, 404),
    (e.PreconditionFailedError, 412),
    (e.ConflictError, 409),
    (e.AuthenticationError, 401),
    (e.PermissionDeniedError, 403),
    (e.SourceError, 502),
    (e.StoreFullError, 507),
    (e.StoreError, 503),
    (e.BusyError, 503),
    (e.RateLimitedError, 429),
]


_TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Changed meanwhile",
    413: "Too large",
    422: "Invalid input",
    429: "Too many attempts",
    502: "Source error",
    503: "Busy or unavailable",
    504: "Source timed out",
    507: "Store full",
}


def status_for(exc: e.SoundingError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def websocket_close_code(exc: e.SoundingError) -> int:
    """A WebSocket refusal: 4000 + the HTTP status (4401, 4403, 4404, ...), as after accept
    the close code is the only status a client sees."""
    return 4000 + status_for(exc)


def error_body(kind: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body of every error answer: ``ErrorPublic``, as the OpenAPI document declares."""
    detail = ErrorDetail(type=kind, message=message, details=details or {})
    return ErrorPublic(error=detail).model_dump(mode="json")


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None | list | dict) else str(v)
        for k, v in details.items()
    }


def _as_page(request: Request, status: int, title: str, message: str) -> Response | None:
    """The web UI's error page when the request came from it (``ui/app.py`` installs the
    test and the renderer), else None: the API's JSON body."""
    hook = getattr(request.app.state, "ui_errors", None)
    if hook is None or not hook[0](request):
        return None
    page: Response = hook[1](request, status, title, message)
    return page


async def _sounding_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.SoundingError)
    status = status_for(exc)
    if (page := _as_page(request, status, _TITLES.get(status, "Error"), exc.message)) is not None:
        if isinstance(exc, e.BusyError | e.RateLimitedError):
            page.headers["Retry-After"] = str(exc.details.get("retry_after", 1))
        return page
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, e.BusyError | e.RateLimitedError):
        headers = {"Retry-After": str(exc.details.get("retry_after", 1))}
    return JSONResponse(
        error_body(type(exc).__name__, exc.message, _jsonable(exc.details)),
        status_code=status,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "loc": ".".join(str(p) for p in err.get("loc", ())),
            "msg": redact(str(err.get("msg", "")).removeprefix("Value error, ")),
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['loc']}: {p['msg']}" for p in problems[:5])
    if (page := _as_page(request, 422, "Invalid input", f"Invalid request: {summary}")) is not None:
        return page
    return JSONResponse(
        error_body("ValidationFailedError", f"Invalid request: {summary}", {"errors": problems}),
        status_code=422,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind = {404: "NotFoundError", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
    headers = dict(exc.headers or {})
    message = str(exc.detail)
    if exc.status_code == 405 and (allowed := allowed_methods(request)):
        headers["Allow"] = ", ".join(allowed)
        message = f"Method {request.method} is not allowed here; use {', '.join(allowed)}"
    title = _TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404:
        message = "There is no page at this address; search the catalog or go to the home page"
    if (page := _as_page(request, exc.status_code, title, message)) is not None:
        return page
    return JSONResponse(error_body(kind, message), status_code=exc.status_code, headers=headers)


MethodTable = list[tuple[re.Pattern[str], frozenset[str]]]


def method_table(routes: Iterable[tuple[str, BaseRoute]]) -> MethodTable:
    """(path pattern, methods) of every ``(prefix, route)``: what ``Allow`` is built from."""
    return [
        (compile_path(prefix + route.path)[0], frozenset(route.methods or ()))
        for prefix, route in routes
        if isinstance(route, APIRoute)
    ]


def allowed_methods(request: Request) -> list[str]:
    """Every method the app serves at the request's path (each route serves one method, so
    Starlette's own ``Allow`` would name only the first matching route's)."""
    table: MethodTable = getattr(request.app.state, "allowed_methods", [])
    path = request.scope.get("path", "")
    return sorted({m for pattern, found in table if pattern.match(path) for m in found})


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("Unhandled error", exc_info=exc)
    message = "Something went wrong on the server; the server log says what"
    if (page := _as_page(request, 500, "Server error", message)) is not None:
        return page
    return JSONResponse(
        error_body("InternalError", "Internal server error; see the server log"),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.SoundingError, _sounding_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
