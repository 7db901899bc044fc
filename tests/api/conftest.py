from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sounding.api.app import create_app
from sounding.services import accounts, sources
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


@pytest.fixture
def api(ctx: Any, operator: Any, tmp_path: Path) -> Iterator[Api]:
    tokens = {}
    for role in ("admin", "steward", "viewer"):
        accounts.create_user(ctx, operator, f"{role}1", role)
        tokens[role] = accounts.create_token(ctx, operator, f"{role}1")["token"]
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    app = create_app(ctx=ctx)
    with TestClient(app) as client:
        yield Api(app, client, tokens)
