from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sounding.api.app import create_app
from sounding.domain.auth import Principal, Role
from sounding.features.accounts import service as accounts
from sounding.services import sources
from tests.factories import sqlite_source


class Api:
    def __init__(self, app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
        self.app = app
        self.client = client
        self.tokens = tokens

    def call(self, method: str, path: str, role: str | None = "admin", **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if role:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return self.client.request(method, path, headers=headers, **kw)


def _api(ctx: Any, tmp_path: Path) -> Iterator[Api]:
    operator = Principal("tester", Role.ADMIN)
    tokens = {}
    for role in ("admin", "steward", "viewer"):
        accounts.create_user(ctx, operator, f"{role}1", role)
        tokens[role] = accounts.create_token(ctx, operator, f"{role}1").token
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    app = create_app(ctx=ctx)
    with TestClient(app) as client:
        yield Api(app, client, tokens)


@pytest.fixture
def api(ctx: Any, tmp_path: Path) -> Iterator[Api]:
    """A fresh store, three users (admin1, steward1, viewer1) and a source ``shop``."""
    yield from _api(ctx, tmp_path)


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One app for a whole module of tests that do not depend on each other's writes."""
    from sounding.services.context import build_context
    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("api")
    context = build_context(make_settings(home / "home"))
    try:
        yield from _api(context, home)
    finally:
        context.close()


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document a fresh app serves at /openapi.json."""
    from sounding.config import Settings

    home = tmp_path_factory.mktemp("openapi") / "home"
    document: dict[str, Any] = create_app(Settings(home=home)).openapi()
    return document
