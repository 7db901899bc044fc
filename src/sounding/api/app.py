"""The ASGI app: ``create_app(settings)`` wires services, routes and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from sounding import __version__
from sounding.api import errors, metrics
from sounding.api.routes import (
    accounts,
    analytics,
    assets,
    classification,
    compliance,
    glossary,
    insights,
    lineage,
    pools,
    quality,
    scans,
    search,
    sources,
    workflows,
)
from sounding.config import Settings
from sounding.services.context import Context, build_context
from sounding.services.scheduler import start as start_scheduler

logger = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, ctx: Context | None = None) -> FastAPI:
    """An app over ``ctx`` (tests pass one) or over a context built from ``settings``."""
    owned = ctx is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.ctx is None:
            app.state.ctx = build_context(settings or Settings())
        # the server owns unfinished executions and the schedule: it resumes the executions a
        # stopped server left, and runs due ticks (a CLI process does neither)
        await run_in_threadpool(start_scheduler, app.state.ctx)
        yield
        if owned:
            app.state.ctx.close()

    app = FastAPI(
        title="Sounding",
        version=__version__,
        description="Self-hosted data governance: catalog, scans, lineage, classification.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    metrics.install(app)
    modules = (
        sources,
        scans,
        search,
        lineage,
        classification,
        compliance,
        glossary,
        quality,
        workflows,
        pools,
        insights,
        analytics,
        assets,
        accounts,
    )
    for module in modules:
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, Any]:
        """Liveness and store reachability; no authentication."""
        ok = True
        try:
            with app.state.ctx.db.read() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:  # report, don't raise: this is the probe
            logger.exception("Health check: store unreachable")
            ok = False
        return {"status": "ok" if ok else "degraded", "version": __version__, "store": ok}

    return app
