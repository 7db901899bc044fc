"""Rendering pages: one Jinja2 environment, the values every template gets, security headers.

Every page answer carries a Content-Security-Policy without ``unsafe-inline`` (no inline
scripts, no inline styles, no ``on*`` attributes: behaviour lives in ``static/sounding.js``
and htmx attributes), and is never framed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sounding import __version__
from sounding.domain.auth import Permission
from sounding.features.accounts.web_sessions import WebSession

UI_DIR = Path(__file__).resolve().parent
TEMPLATES = UI_DIR / "templates"
STATIC = UI_DIR / "static"
STATIC_PREFIX = "/static/ui"

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show what this user may see: never cached
}

# the main navigation: (label, path, permission needed to see it)
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("Home", "/", Permission.CATALOG_READ),
    ("Search", "/search", Permission.CATALOG_READ),
    ("Lineage", "/lineage", Permission.CATALOG_READ),
    ("Review", "/review", Permission.CATALOG_READ),
    ("Glossary", "/glossary", Permission.CATALOG_READ),
    ("Curate", "/catalog", Permission.CATALOG_READ),
    ("Domains", "/domains", Permission.CATALOG_READ),
    ("Products", "/data-products", Permission.CATALOG_READ),
    ("Tags", "/taxonomy", Permission.CATALOG_READ),
    ("Quality", "/quality", Permission.CATALOG_READ),
    ("Compliance", "/compliance", Permission.CATALOG_READ),
    ("Sources", "/sources", Permission.SOURCE_READ),
    ("Workflows", "/workflows", Permission.CATALOG_READ),
    ("Executions", "/executions", Permission.CATALOG_READ),
    ("Insights", "/insights", Permission.CATALOG_READ),
    ("Admin", "/admin", Permission.ADMIN),
)


@cache
def _static_version(name: str) -> str:
    """A short hash of a static file, appended to its URL so a new release is never served
    from a stale browser cache."""
    path = STATIC / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else __version__


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}/{name}?v={_static_version(name)}"


def url_with(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters changed (None removes one): links of
    facets, paging and sorting keep every other filter."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        if isinstance(value, list | tuple):
            params.extend((key, str(v)) for v in value)
        else:
            params.append((key, str(value)))
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(static_url=static_url, nav=NAV, version=__version__)
    return env


ENV = _environment()


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    web: WebSession | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page or an htmx fragment: ``template`` with ``values`` plus the request, the user,
    their CSRF token and ``can(permission)``."""
    principal = web.principal if web else None
    context: dict[str, Any] = {
        "request": request,
        "web": web,
        "user": principal,
        "csrf_token": web.csrf_token if web else "",
        "can": (lambda p: principal is not None and principal.can(p)),
        "Permission": Permission,
        "path": request.url.path,
        "url_with": lambda **changes: url_with(request, **changes),
        "htmx": request.headers.get("hx-request") == "true",
    }
    context.update(values or {})
    body = ENV.get_template(template).render(context)
    return HTMLResponse(
        body, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
