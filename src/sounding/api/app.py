"""The ASGI app: ``create_app(settings)`` wires services, routes and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from sounding import __version__
from sounding.api import errors, metrics
from sounding.api.guards import RequestGuard
from sounding.api.routes import modules as route_modules
from sounding.api.routing import add_routes
from sounding.api.schemas import HealthPublic
from sounding.config import Settings
from sounding.services import health
from sounding.services.context import Context, build_context
from sounding.ui import app as ui_app

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"  # vendored assets + their manifest
STATIC_PREFIX = "/static/api"


def create_app(
    settings: Settings | None = None,
    ctx: Context | None = None,
    *,
    after_start: Callable[[], object] | None = None,
) -> FastAPI:
    """An app over ``ctx`` (tests pass one) or over a context built from ``settings``.

    ``after_start`` runs once the context has started, before the first request is served
    (``sounding serve`` freezes its start-up heap there: ``cli/heap.py``)."""
    owned = ctx is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.ctx is None:
            app.state.ctx = build_context(settings or Settings())
        # sync routes and dependencies run in this many threads (issue 20): fewer threads
        # contending for the interpreter lock answer as many requests with less CPU and
        # leave the engine's threads their share
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = app.state.ctx.settings.request_threads
        # the server owns unfinished executions and the schedule: it resumes the executions a
        # stopped server left, runs due ticks and flushes usage (a CLI process does none)
        await run_in_threadpool(app.state.ctx.start)
        if after_start is not None:
            after_start()
        yield
        # a clean stop (SIGTERM included: uvicorn ends the process right after this): running
        # task attempts are recorded as stopped, buffered usage is written
        await run_in_threadpool(app.state.ctx.close if owned else app.state.ctx.stop)

    app = FastAPI(
        title="Sounding",
        version=__version__,
        description="Self-hosted data governance: catalog, scans, lineage, classification.",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI, not from a CDN
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    # body size and depth limits sit inside the latency middleware: refusals are measured too
    app.add_middleware(RequestGuard, settings=lambda: app.state.ctx.settings)
    metrics.install(app)
    modules = route_modules()  # api/routes/__init__.py ROUTES: one line per area
    routers: list[APIRouter] = [module.router for module in modules]
    for router in routers:
        add_routes(app, router)

    _install_docs(app)
    # the web UI: pages at / over the same services (ui/app.py lists its page modules)
    ui_app.install(app)

    @app.get("/healthz", tags=["system"], response_model=HealthPublic)
    def healthz() -> health.Liveness:
        """Liveness and store reachability; no authentication."""
        return health.liveness(app.state.ctx)

    app.state.allowed_methods = errors.method_table([("", route) for route in app.router.routes])
    return app


def _install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the files vendored in the package, so it works offline."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="api-static")
    swagger = f"{STATIC_PREFIX}/swagger-ui"
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{swagger}/swagger-ui-bundle.js",
            swagger_css_url=f"{swagger}/swagger-ui.css",
            swagger_favicon_url=f"{swagger}/favicon-32x32.png",
            oauth2_redirect_url=redirect,
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
