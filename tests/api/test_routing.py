"""The API's routing (``api/routing.py``, issue 20): routes added flat to the app describe the
same API as ``include_router``, the string pre-check never turns away a path a route's own
regular expression accepts, and one-trip routes answer as FastAPI's handler does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import Match

from sounding.api.app import create_app
from sounding.api.routes import modules as route_modules
from sounding.api.routing import API_PREFIX, SoundingRoute, one_trip
from sounding.config import Settings


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    home = tmp_path_factory.mktemp("routing")
    return create_app(Settings(home=home))


def _api_routes(app: FastAPI) -> list[APIRoute]:
    return [
        r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith(API_PREFIX + "/")
    ]


def test_the_openapi_document_is_the_one_include_router_gives(app: FastAPI, tmp_path: Path) -> None:
    included = FastAPI(title=app.title, version=app.version, description=app.description)
    for module in route_modules():
        included.include_router(module.router)  # api_router(): /api/v1 and the error responses
    ours = {p: v for p, v in app.openapi()["paths"].items() if p.startswith(API_PREFIX + "/")}
    theirs = included.openapi()["paths"]
    assert list(ours) == list(theirs)  # same paths, same order
    assert ours == theirs
    schemas = app.openapi()["components"]["schemas"]  # the app's own routes add a few
    assert {k: schemas.get(k) for k in included.openapi()["components"]["schemas"]} == (
        included.openapi()["components"]["schemas"]
    )


def test_every_api_route_is_a_sounding_route(app: FastAPI) -> None:
    routes = _api_routes(app)
    assert len(routes) > 100
    assert all(isinstance(r, SoundingRoute) for r in routes), [
        r.path for r in routes if not isinstance(r, SoundingRoute)
    ]
    # most routes run in one trip; async ones, 204s, streams and those whose dependencies
    # take FastAPI's temporal response keep FastAPI's own handler
    trips = [r for r in routes if one_trip(r) or getattr(r.dependant.call, "sounding_one_trip", 0)]
    assert len(trips) > len(routes) * 4 // 5


def _example(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


@pytest.mark.parametrize("value", ["1", "abc", "a.b-c"])
def test_the_pre_check_agrees_with_the_regular_expressions(app: FastAPI, value: str) -> None:
    routes = [r for r in _api_routes(app) if isinstance(r, SoundingRoute)]
    paths = {_example(r.path, value) for r in routes}
    paths |= {p + "/" for p in paths} | {p + "/x" for p in paths} | {API_PREFIX, "/", "/search"}
    checked = 0
    for path in sorted(paths):
        scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "root_path": ""}
        for route in routes:
            fast, _ = route.matches(dict(scope))
            slow, _ = APIRoute.matches(route, dict(scope))
            assert fast == slow, (route.path, path)
            checked += fast != Match.NONE
    assert checked > len(routes)  # the examples do match their routes


def test_a_root_path_takes_the_full_check(app: FastAPI) -> None:
    route = next(r for r in _api_routes(app) if r.path == API_PREFIX + "/search")
    assert isinstance(route, SoundingRoute)
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/behind/proxy" + API_PREFIX + "/search",
        "root_path": "/behind/proxy",
    }
    assert route.matches(scope)[0] == Match.FULL


def test_each_api_route_is_built_once(app: FastAPI) -> None:
    """The app serves its route modules' own route objects: FastAPI builds a route's
    dependency tree and fields when the route is declared, and building them again on the
    app was a third of a server's ``create_app``."""
    declared = {id(r) for module in route_modules() for r in module.router.routes}
    routes = _api_routes(app)
    assert routes and all(id(r) in declared for r in routes)


def test_a_router_not_under_the_api_prefix_is_refused() -> None:
    from sounding.api.routing import add_routes

    stray = APIRouter(route_class=SoundingRoute)

    @stray.get("/things")
    def things() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="api_router"):
        add_routes(FastAPI(), stray)


class Thing(BaseModel):
    id: int
    name: str
    note: str | None = None


def _twin_apps() -> tuple[FastAPI, FastAPI, list[Any]]:
    """The same endpoints on SoundingRoute (one trip) and on FastAPI's own APIRoute."""

    def needs_response(response: Response) -> None:
        response.headers["X-From-Dependency"] = "yes"

    apps = []
    for route_class in (SoundingRoute, APIRoute):
        router = APIRouter(route_class=route_class)

        @router.get("/tagged/{thing_id}", response_model=Thing, response_model_exclude_unset=True)
        def tagged(thing_id: int, response: Response) -> dict[str, Any]:
            response.headers["ETag"] = f'"{thing_id}"'
            if thing_id == 7:
                response.status_code = 202
            return {"id": thing_id, "name": "t", "secret": "filtered out"}

        @router.post("/made", response_model=Thing, status_code=201)
        def made(response: Response) -> Thing:
            response.headers["Location"] = "/made/1"
            return Thing(id=1, name="m")

        @router.get("/plain", response_model=Thing)
        def plain() -> Thing:
            return Thing(id=2, name="p")

        @router.get("/by-dependency", response_model=Thing)
        def by_dependency(_: None = Depends(needs_response)) -> Thing:
            return Thing(id=3, name="d")

        app = FastAPI()
        app.include_router(router)
        apps.append((app, router.routes))
    return apps[0][0], apps[1][0], apps[0][1]


def test_one_trip_routes_answer_as_fastapi_does() -> None:
    """Status, headers and body of each kind of route, SoundingRoute against APIRoute; only a
    ``Response`` parameter of a dependency keeps FastAPI's own handler."""
    from fastapi.testclient import TestClient

    ours, theirs, routes = _twin_apps()
    trips = {r.path: getattr(r.dependant.call, "sounding_one_trip", False) for r in routes}
    assert trips == {
        "/tagged/{thing_id}": True,
        "/made": True,
        "/plain": True,
        "/by-dependency": False,
    }
    requests = [
        ("GET", "/tagged/5"),
        ("GET", "/tagged/7"),
        ("POST", "/made"),
        ("GET", "/plain"),
        ("GET", "/by-dependency"),
        ("GET", "/tagged/x"),
    ]
    with TestClient(ours) as a, TestClient(theirs) as b:
        for method, path in requests:
            mine, fastapis = a.request(method, path), b.request(method, path)
            assert mine.status_code == fastapis.status_code, path
            assert mine.content == fastapis.content, path
            assert sorted(mine.headers.items()) == sorted(fastapis.headers.items()), path
    with TestClient(ours) as a:
        assert a.get("/tagged/7").status_code == 202
        assert a.get("/tagged/5").headers["etag"] == '"5"'
        assert a.get("/tagged/5").json() == {"id": 5, "name": "t"}
        assert a.post("/made").headers["location"] == "/made/1"
