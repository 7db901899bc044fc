"""Mounting the web UI on the app: its page modules, static files and error pages.

Each page family is one module with a ``router``, listed once in :data:`PAGES`: adding a page
family adds a module and a line here, and never edits ``api/app.py``.
"""

from __future__ import annotations

import logging
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from sounding.ui import (
    admin,
    alerts,
    assets,
    auth,
    collections,
    compliance,
    curation,
    custom_properties,
    data_products,
    delivery,
    domains,
    executions,
    glossary,
    home,
    insights,
    lineage,
    policies,
    quality,
    review,
    search,
    sources,
    tag_taxonomy,
    workflows,
)
from sounding.ui.deps import LoginRequired, login_url
from sounding.ui.render import STATIC, STATIC_PREFIX, render

logger = logging.getLogger(__name__)

PAGES: tuple[ModuleType, ...] = (
    auth,
    alerts,
    home,
    search,
    curation,
    assets,
    lineage,
    review,
    glossary,
    domains,
    data_products,
    tag_taxonomy,
    custom_properties,
    collections,
    quality,
    compliance,
    workflows,
    executions,
    admin,
    delivery,
    policies,
    insights,
    sources,
)

API_PATHS = ("/api/", "/openapi.json", "/docs", "/static/api", "/metrics", "/healthz")


def is_ui_request(request: Request) -> bool:
    """Whether an error on this request is answered with a page (or an htmx fragment)
    rather than the API's JSON body."""
    path = request.url.path
    if path.startswith(API_PATHS) or path.startswith(STATIC_PREFIX):
        return False
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return False  # a UI route's JSON (the lineage explorer's graph) errs as JSON
    return (
        getattr(request.state, "ui", False)
        or request.headers.get("hx-request") == "true"
        or "text/html" in request.headers.get("accept", "")
    )


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """An error as a page a person can act on (as a small fragment for htmx requests)."""
    template = "error_fragment.html" if request.headers.get("hx-request") else "error.html"
    web = getattr(request.state, "web", None)  # the nav bar still shows who is logged in
    return render(
        request,
        template,
        {"status": status, "title": title, "message": message},
        web=web,
        status_code=status,
    )


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = login_url(exc.next_path)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install(app: FastAPI) -> None:
    """Mount the pages and ``/static/ui`` on ``app``."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="ui-static")
    app.add_exception_handler(LoginRequired, _login_required)
    for module in PAGES:
        app.include_router(module.router)
    app.state.ui_errors = (is_ui_request, error_page)
