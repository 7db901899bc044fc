"""A real ``sounding serve`` with a scanned source and users, for the API tests of the catalog's
features (domains, data products, tags, properties, collections), and a check that an answer
keeps to the schema ``/openapi.json`` declares for it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source


@contextmanager
def scanned_server(
    home: Path, users: Mapping[str, tuple[str, str]], env: Mapping[str, str] | None = None
) -> Iterator[dict[str, httpx.Client]]:
    """A server whose source ``shop`` (``tests.factories.sqlite_source``) is scanned; clients
    keyed ``admin`` and, for each ``key: (user name, role)`` of ``users``, that user's.
    ``env``: settings the server starts with besides the test defaults."""
    url = sqlite_source(home / "shop.db")
    server = ServerProcess(home / "home", env=dict(env or {}))
    server.env.pop("SOUNDING_DATABASE_URL", None)
    server.start(timeout=90)  # a shared, loaded machine
    clients: dict[str, httpx.Client] = {}
    try:
        admin = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        clients["admin"] = admin
        assert admin.post("/api/v1/sources", json={"name": "shop", "url": url}).status_code == 201
        scan = admin.post("/api/v1/scans", json={"source": "shop"}).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
            scan = admin.get(f"/api/v1/scans/{scan['id']}").json()
        assert scan["status"] == "completed", scan
        for key, (name, role) in users.items():
            made = admin.post("/api/v1/users", json={"name": name, "role": role})
            assert made.status_code == 201, made.text
            token = admin.post(f"/api/v1/users/{name}/tokens", json={}).json()["token"]
            clients[key] = httpx.Client(
                base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
        yield clients
    finally:
        for c in clients.values():
            c.close()
        server.stop()


def check_answer(doc: dict[str, Any], answer: httpx.Response, method: str, template: str) -> Any:
    """The answer's JSON, after checking it is a success that keeps to the schema ``doc`` (the
    server's ``/openapi.json``) declares for ``method`` on the path ``template``."""
    assert answer.status_code < 300, answer.text
    op = doc["paths"][template][method.lower()]
    status = min(code for code in op["responses"] if code.startswith("2"))
    ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    body = answer.json()
    jsonschema.validate(body, {"$ref": ref, "components": doc["components"]})
    return body


def answer_checker(doc: dict[str, Any]) -> Callable[[httpx.Response, str, str], Any]:
    """:func:`check_answer` bound to one ``/openapi.json``."""
    return lambda answer, method, template: check_answer(doc, answer, method, template)
