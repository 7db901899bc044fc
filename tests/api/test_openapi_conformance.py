"""The API keeps to its own OpenAPI document, through a real server: UTC timestamps with Z,
declared error answers shaped as ErrorPublic, Allow on 405, and CSV answers declared."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
ISO_ANY = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")
DECLARED_ERRORS = ("401", "403", "404", "409", "413", "422")


class Live:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.openapi: dict[str, Any] = httpx.get(f"{server.base}/openapi.json").json()

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(f"{self.server.base}{path}", headers=self.server.headers, **kw)

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.server.base}{path}", **kw)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("conformance")
    server = ServerProcess(tmp / "home")
    server.start()
    try:
        api = f"{server.base}/api/v1"
        url = sqlite_source(tmp / "shop.db")
        httpx.post(f"{api}/sources", json={"name": "shop", "url": url}, headers=server.headers)
        scan = httpx.post(f"{api}/scans", json={"source": "shop"}, headers=server.headers).json()
        for _ in range(100):
            got = httpx.get(f"{api}/scans/{scan['id']}", headers=server.headers).json()
            if got["status"] not in ("pending", "running"):
                break
            time.sleep(0.1)
        yield Live(server)
    finally:
        server.stop()


def _timestamps(value: Any) -> list[str]:
    """Every string in a JSON value that looks like a date and time."""
    if isinstance(value, str):
        return [value] if ISO_ANY.match(value) else []
    if isinstance(value, dict):
        return [t for v in value.values() for t in _timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v)]
    return []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sources",
        "/api/v1/sources/shop",
        "/api/v1/scans",
        "/api/v1/scans/1/events",
        "/api/v1/assets?type=table",
        "/api/v1/users",
        "/api/v1/audit",
    ],
)
def test_every_timestamp_is_utc_with_z(live: Live, path: str) -> None:
    body = live.get(path).json()
    found = _timestamps(body)
    assert found, f"{path} shows no timestamp to check"
    assert [t for t in found if not UTC_Z.match(t)] == []


def test_every_operation_declares_the_error_answers_as_error_public(live: Live) -> None:
    missing = []
    for path, ops in live.openapi["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in ops.items():
            for status in DECLARED_ERRORS:
                schema = op["responses"].get(status, {}).get("content", {})
                ref = schema.get("application/json", {}).get("schema", {}).get("$ref", "")
                if not ref.endswith("/ErrorPublic"):
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def test_error_bodies_match_the_declared_schema(live: Live) -> None:
    doc = live.openapi
    schema = {"$ref": "#/components/schemas/ErrorPublic", "components": doc["components"]}
    answers = [
        live.request("GET", "/api/v1/sources"),  # 401
        live.get("/api/v1/sources/nope"),  # 404
        live.get("/api/v1/executions?status=nope"),  # 422 from validation
        live.request(
            "POST",
            "/api/v1/sources",
            json={"name": "shop", "url": "sqlite:///x.db"},
            headers=live.server.headers,
        ),  # 409
        live.request("PUT", "/api/v1/sources", headers=live.server.headers),  # 405
    ]
    assert [a.status_code for a in answers] == [401, 404, 422, 409, 405]
    for answer in answers:
        jsonschema.validate(answer.json(), schema)


def test_405_names_every_method_of_the_path_in_allow(live: Live) -> None:
    resp = live.request("PUT", "/api/v1/glossary/terms/1", headers=live.server.headers)
    assert resp.status_code == 405
    allowed = resp.headers["allow"].split(", ")
    assert allowed == ["DELETE", "GET", "PATCH"]
    assert sorted(m.upper() for m in live.openapi["paths"]["/api/v1/glossary/terms/{ref}"]) == (
        allowed
    )
    assert "use DELETE, GET, PATCH" in resp.json()["error"]["message"]
    # a literal path beside an id path: /quality/rules/apply is not rule "apply"
    apply = live.request("PATCH", "/api/v1/quality/rules/apply", headers=live.server.headers)
    assert (apply.status_code, apply.headers["allow"]) == (405, "POST")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/glossary/terms/export", "format=csv"),
        ("/api/v1/quality/report", "format=csv"),
        ("/api/v1/compliance/reports/{framework_id}", "format=csv"),
    ],
)
def test_csv_answers_are_declared(live: Live, path: str, query: str) -> None:
    declared = live.openapi["paths"][path]["get"]["responses"]["200"]["content"]
    assert "text/csv" in declared
    frameworks = live.get("/api/v1/compliance/frameworks").json()["items"]
    real = path.replace("{framework_id}", frameworks[0]["id"])
    answer = live.get(f"{real}?{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] in declared
