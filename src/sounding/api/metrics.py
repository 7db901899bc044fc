"""``GET /metrics``: Prometheus text format, one registry per app (tests build many apps).

Two sources of figures: an ASGI middleware that times every HTTP request (histogram by
method, route template and status), and a collector that reads counts from the store at scrape
time (scans, executions, task attempts, assets, search queries, compliance findings, quality
rule outcomes). Names are listed in docs/analytics.md.
"""

from __future__ import annotations

import gc
import hmac
import logging
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sounding.api.deps import get_ctx
from sounding.errors import AuthenticationError
from sounding.features.accounts import service as accounts
from sounding.services import analytics
from sounding.services.context import Context

logger = logging.getLogger(__name__)

UNMATCHED = "<unmatched>"  # a path no route matched (keeps label values bounded)


class LatencyMiddleware:
    """Observe each HTTP request's duration, until its response is complete, and tell the
    client the server's time until the response started (``Server-Timing: app;dur=MS``: what
    ``bench/ui.py`` reads, and what a browser's developer tools show)."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram
        self._templates: dict[int, str] | None = None  # id(route) -> its full path template

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._templates is None:
            self._templates = route_templates(scope["app"])
        return self._templates.get(id(route)) or getattr(route, "path", None) or UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before responding

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                took = (time.perf_counter() - start) * 1000
                headers = [*message.get("headers", ()), (b"server-timing", b"app;dur=%.1f" % took)]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = self._template(scope)
            self.histogram.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - start
            )


def route_templates(app: Any) -> dict[int, str]:
    """Each route's full path template: routes of an included router know only their own part
    (``/assets/{ref}``); FastAPI's route contexts carry the prefix (``/api/v1/assets/{ref}``)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes with their full path
        return {}
    return {id(c.original_route): c.path for c in iter_route_contexts(app.router.routes) if c.path}


def _gauge(name: str, doc: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for value, count in sorted(values.items()):
        family.add_metric([value], count)
    return family


class StoreCollector(Collector):
    """Counts read from the store at each scrape."""

    def __init__(self, get_ctx: Callable[[], Context | None]) -> None:
        self._get_ctx = get_ctx

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration (the store may not be open yet)

    def collect(self) -> Iterator[Metric]:
        ctx = self._get_ctx()
        if ctx is None:
            return
        up = GaugeMetricFamily("sounding_store_up", "1 if the store answered this scrape")
        try:
            figures = analytics.metric_figures(ctx)
        except Exception:  # report, don't fail the scrape
            logger.exception("Metrics: cannot read the store")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge("sounding_scan_runs", "Scan runs by status", "status", figures["scans"])
        yield _gauge(
            "sounding_workflow_executions",
            "Workflow executions by status",
            "status",
            figures["executions"],
        )
        yield _gauge(
            "sounding_task_attempts",
            "Task attempts (one try of one step or task) by status",
            "status",
            figures["task_attempts"],
        )
        yield _gauge("sounding_assets", "Live catalog assets by type", "type", figures["assets"])
        searches = CounterMetricFamily(
            "sounding_search_queries", "Search queries recorded in the store"
        )
        searches.add_metric([], figures["search_queries"])
        yield searches
        pending = GaugeMetricFamily(
            "sounding_usage_pending", "Views, search hits and queries counted, not yet stored"
        )
        pending.add_metric([], figures["usage_pending"])
        yield pending
        findings = GaugeMetricFamily(
            "sounding_compliance_findings",
            "Compliance findings on live assets by framework, severity and status",
            labels=["framework", "severity", "status"],
        )
        for row in figures["compliance_findings"]:
            findings.add_metric([row["framework"], row["severity"], row["status"]], row["count"])
        yield findings
        yield _gauge(
            "sounding_quality_rules",
            "Active quality rules by the outcome of their newest result",
            "outcome",
            figures["quality_rules"],
        )


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def metrics_access(request: Request, ctx: Annotated[Context, Depends(get_ctx)]) -> None:
    """Who may scrape: anyone by default (like exporters); only the holder of
    ``SOUNDING_METRICS_TOKEN`` when it is set; any user's API token when
    ``SOUNDING_METRICS_REQUIRE_AUTH`` is true (either credential then works)."""
    settings = ctx.settings
    if settings.metrics_token is None and not settings.metrics_require_auth:
        return
    token = _bearer(request)
    expected = settings.metrics_token
    if token and expected is not None:
        if hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
            return
        if not settings.metrics_require_auth:
            raise AuthenticationError("Invalid metrics token (SOUNDING_METRICS_TOKEN)")
    if settings.metrics_require_auth:
        accounts.authenticate(ctx, token)  # raises AuthenticationError without a valid token
        return
    raise AuthenticationError("GET /metrics needs 'Authorization: Bearer <SOUNDING_METRICS_TOKEN>'")


class FrozenCollector(Collector):
    """``python_gc_objects_frozen``: objects left out of garbage collection (``sounding serve``
    freezes what it holds after start-up: ``cli/heap.py``)."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "python_gc_objects_frozen",
            "Objects in the permanent generation, which garbage collection skips",
            value=gc.get_freeze_count(),
        )


def install(app: FastAPI) -> None:
    """Time every request and serve ``GET /metrics`` (public unless a setting says otherwise:
    see ``metrics_access``)."""
    registry = CollectorRegistry(auto_describe=True)
    histogram = Histogram(
        "sounding_http_request_duration_seconds",
        "HTTP request duration by method, route template and status",
        ["method", "route", "status"],
        registry=registry,
    )
    registry.register(StoreCollector(lambda: app.state.ctx))
    GCCollector(registry=registry)  # python_gc_collections_total and friends, per generation
    registry.register(FrozenCollector())
    app.state.metrics_registry = registry
    app.add_middleware(LatencyMiddleware, histogram=histogram)

    @app.get(
        "/metrics",
        tags=["system"],
        response_class=Response,
        dependencies=[Depends(metrics_access)],
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    def metrics(request: Request) -> Response:
        """Prometheus text format: request latency and store counts. Public by default;
        ``SOUNDING_METRICS_TOKEN`` or ``SOUNDING_METRICS_REQUIRE_AUTH`` restrict it."""
        data: Any = generate_latest(registry)
        return Response(content=data, media_type=CONTENT_TYPE_LATEST)
