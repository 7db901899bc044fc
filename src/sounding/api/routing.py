"""The API's route class: a sync route runs, validates and serializes in one worker thread.

FastAPI runs a sync (``def``) route in the thread pool, then hands its return value back to
the event loop and, for a sync route, sends the response-model validation to the thread pool a
second time before serializing on the loop. Under load those hand-offs cost more than the
work (issue 20: a profile of 50 concurrent reads spent about a quarter of the server's CPU on
thread hand-offs). :class:`SoundingRoute` gives FastAPI an ``async`` endpoint that makes one
trip to the pool: call the route, validate its value into the response model, and dump the
model to JSON bytes with pydantic's serializer, exactly as FastAPI's own fast path does
(``serialize_response`` with ``dump_json``), then answer with those bytes.

Only routes where that is the same answer are changed: a sync endpoint with a response model,
the default response class, no streaming, no ``BackgroundTasks`` parameter anywhere, and a
``Response`` parameter on the endpoint only, if any (FastAPI's temporal response: the one-trip
call copies its status, when set, and its headers onto the answer, as FastAPI does; a
dependency's own ``Response`` parameter keeps FastAPI's handler). Everything else — the
OpenAPI document, request validation, dependencies, errors — is FastAPI's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any

import fastapi.routing
from fastapi import APIRouter, FastAPI, Response
from fastapi._compat import ModelField
from fastapi.concurrency import run_in_threadpool
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.utils import create_model_field, is_body_allowed_for_status_code
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Scope

from sounding.api.openapi import ERROR_RESPONSES

_Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _uses_temporal_response(dependant: Dependant, *, endpoint: bool = True) -> bool:
    """Whether a background-task parameter is anywhere in ``dependant``'s tree, or a
    ``Response`` parameter anywhere but on the endpoint itself (the endpoint's is passed to
    the one-trip call, which copies its status and headers as FastAPI does)."""
    if dependant.background_tasks_param_name or (dependant.response_param_name and not endpoint):
        return True
    return any(_uses_temporal_response(sub, endpoint=False) for sub in dependant.dependencies)


def one_trip(route: Any) -> bool:
    """Whether ``route`` (an APIRoute, or FastAPI's effective context of an included one) can
    run in one trip to the thread pool with the same answer."""
    dependant: Dependant | None = route.dependant
    return (
        dependant is not None
        and dependant.call is not None
        and not getattr(dependant.call, "sounding_one_trip", False)
        and not _is_async(dependant.call)
        and route.response_field is not None
        # FastAPI's JSON fast path (older releases lack it: they keep their own handler)
        and hasattr(route.response_field, "serialize_json")
        and isinstance(route.response_class, DefaultPlaceholder)
        and getattr(route, "stream_item_field", None) is None
        and not getattr(route, "is_json_stream", False)
        and not getattr(route, "is_sse_stream", False)
        and (route.status_code is None or is_body_allowed_for_status_code(route.status_code))
        and not _uses_temporal_response(dependant)
    )


def _is_async(call: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004
    )


_MODEL_OPTIONS = ("include", "exclude", "by_alias", "exclude_unset", "exclude_defaults",
                  "exclude_none")  # fmt: skip


def _model_options(route: Any) -> dict[str, Any]:
    """A route's ``response_model_*`` options, by their names without the prefix."""
    return {name: getattr(route, f"response_model_{name}") for name in _MODEL_OPTIONS}


def _one_trip_call(route: Any) -> Callable[..., Coroutine[Any, Any, Any]]:
    endpoint: Callable[..., Any] = route.dependant.call
    field = route.response_field
    options = _model_options(route)
    status_code = route.status_code or 200
    temporal_name: str | None = route.dependant.response_param_name

    def run(values: dict[str, Any]) -> Any:
        raw = endpoint(**values)
        if isinstance(raw, Response):
            return raw
        value, errors = field.validate(raw, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=raw)
        content = field.serialize_json(value, **options)
        if temporal_name is None:
            return Response(content, media_type="application/json", status_code=status_code)
        # the endpoint's own ``response: Response`` (an ETag, a status): FastAPI copies its
        # status, when set, and its headers onto the answer
        temporal: Response = values[temporal_name]
        status = temporal.status_code or status_code
        if not is_body_allowed_for_status_code(status):
            content = b""
        answer = Response(content, media_type="application/json", status_code=status)
        answer.headers.raw.extend(temporal.headers.raw)
        return answer

    async def call(**values: Any) -> Any:
        return await run_in_threadpool(run, values)

    call.sounding_one_trip = True  # type: ignore[attr-defined]
    call.__name__ = getattr(endpoint, "__name__", "endpoint")
    call.__qualname__ = getattr(endpoint, "__qualname__", call.__name__)
    call.__module__ = getattr(endpoint, "__module__", __name__)
    return call


@functools.cache
def _response_field(status_code: int | str, model: Any) -> ModelField:
    """One field per (status, model) of ``responses=``, shared by every route declaring it."""
    return create_model_field(
        name=f"Response_{status_code}_{getattr(model, '__name__', 'model')}",
        type_=model,
        mode="serialization",
    )


class SoundingRoute(APIRoute):
    """An APIRoute whose sync endpoint, validation and serialization share one thread-pool
    trip (see the module docstring). Every router under ``/api/v1`` uses it.

    It also shares the fields of ``responses=`` models between routes: FastAPI builds a
    pydantic field (a ``TypeAdapter``) for every model of every route's ``responses``, which
    for the twelve error statuses every operation documents (``ERROR_RESPONSES``) was 2,196
    of the 2,748 fields a server built at start and most of ``create_app``'s CPU. The field
    is read only to write the OpenAPI document, where a model's schema is a reference to its
    component whatever the field's name, so one per (status, model) gives the same document
    (``tests/api/test_routing.py``)."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        responses: dict[int | str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        shared: dict[int | str, ModelField] = {}
        unmodelled: dict[int | str, dict[str, Any]] = {}
        for status_code, response in (responses or {}).items():
            model = response.get("model") if isinstance(response, dict) else None
            if model is None or not is_body_allowed_for_status_code(status_code):
                unmodelled[status_code] = response  # FastAPI's own handling (and checks)
                continue
            shared[status_code] = _response_field(status_code, model)
            unmodelled[status_code] = {k: v for k, v in response.items() if k != "model"}
        super().__init__(path, endpoint, responses=unmodelled, **kwargs)
        if shared:
            self.responses = dict(responses or {})  # as declared: OpenAPI drops "model"
            self.response_fields = {**self.response_fields, **shared}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Starlette tries the routes in order, each with its regular expression after a few
        # calls of bookkeeping (about 2 us); the API has about 170 routes, so a path near the
        # end cost a third of a millisecond to route. A path that does not start with the
        # route's literal part (``/api/v1/assets/`` of ``/api/v1/assets/{asset_id}``) cannot
        # match it, nor can a path with another number of segments (a parameter holds no
        # "/" unless it is a ``:path`` one): say so from string operations. Behind a proxy's
        # root path Starlette strips that prefix first: those requests take the full check.
        if scope["type"] == "http" and not scope.get("root_path"):
            prefix, slashes = self._shape()
            path: str = scope["path"]
            if not path.startswith(prefix) or (slashes >= 0 and path.count("/") != slashes):
                return Match.NONE, {}
        return super().matches(scope)

    def _shape(self) -> tuple[str, int]:
        """The path's literal start and its number of "/" (-1: any, a ``:path`` parameter)."""
        shape: tuple[str, int] | None = self.__dict__.get("_sounding_shape")
        if shape is None:
            template = self.path_format
            slashes = -1 if ":path}" in self.path else template.count("/")
            shape = self.__dict__["_sounding_shape"] = (template.split("{", 1)[0], slashes)
        return shape

    def get_route_handler(self) -> _Handler:
        # FastAPI builds the handler once per route and once per router that includes it,
        # passing the included route's own dependant ("integrations may wrap dependant.call
        # while constructing the handler"); wrap whichever it is about to use
        route: Any = self
        context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
        effective = context_var.get() if context_var is not None else None
        if effective is not None and effective.original_route is self:
            route = effective
        if one_trip(route):
            route.dependant.call = _one_trip_call(route)
        return super().get_route_handler()


API_PREFIX = "/api/v1"


def api_router(prefix: str = "", *, tags: list[str | Enum]) -> APIRouter:
    """A route module's router: its routes are built once, as the app serves them (under
    ``/api/v1`` + ``prefix``, with the error responses every operation documents), and
    :func:`add_routes` adds those same route objects to the app.

    Every app built in a process shares these route objects, so an app's
    ``dependency_overrides`` do not reach them (FastAPI binds a route to the overrides of the
    router that built it); nothing here uses overrides: tests build a context of their own."""
    return APIRouter(
        route_class=SoundingRoute,
        prefix=API_PREFIX + prefix,
        tags=tags,
        responses=ERROR_RESPONSES,
    )


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes (an :func:`api_router`'s) to ``app``, each as a route of the app
    itself.

    ``app.include_router`` keeps one branch per included router, and matching a request walks
    the branches in order, re-matching every route of each with bookkeeping on the request
    scope: with 25 routers under ``/api/v1`` the path of a router near the end cost more to
    route than to answer (issue 20). A flat list of routes is matched by one regular
    expression each, as Starlette does. The route objects are the router's own, already built
    with their full path and responses: building them again on the app (FastAPI builds each
    route's dependency tree and pydantic fields) was about a third of a server's
    ``create_app``. ``/openapi.json`` is what ``include_router`` gives
    (``tests/api/test_routing.py`` compares them)."""
    for route in router.routes:
        if not isinstance(route, APIRoute | APIWebSocketRoute):
            raise TypeError(f"{router.prefix}: cannot add {route!r}: not an API or WebSocket route")
        if not route.path.startswith(API_PREFIX + "/") and route.path != API_PREFIX:
            raise ValueError(
                f"{route.path}: not under {API_PREFIX}; build its router with api_router"
            )
        app.router.routes.append(route)
    # what add_api_route does after adding: FastAPI keys its cached OpenAPI document on it
    mark_changed = getattr(app.router, "_mark_routes_changed", None)
    if mark_changed is not None:
        mark_changed()
