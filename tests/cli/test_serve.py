"""`sounding serve` as a real process: prints the bootstrap token once, answers over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import sqlite_source


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    home = tmp_path / "home"
    env = {**os.environ, "SOUNDING_HOME": str(home)}
    env.pop("SOUNDING_DATABASE_URL", None)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sounding.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    token = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not token:
            line = proc.stdout.readline()
            match = re.search(r"(snd_[\w-]+)", line)
            if match:
                token = match.group(1)
        assert token, "serve did not print the admin token"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, token, home
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_serve_end_to_end(server: tuple[str, str, Path], tmp_path: Path) -> None:
    base, token, _home = server
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/v1/me", headers=auth).json()["name"] == "admin"
    assert httpx.get(f"{base}/api/v1/sources").status_code == 401
    url = sqlite_source(tmp_path / "shop.db")
    created = httpx.post(f"{base}/api/v1/sources", headers=auth, json={"name": "shop", "url": url})
    assert created.status_code == 201
    scan = httpx.post(f"{base}/api/v1/scans", headers=auth, json={"source": "shop"}).json()
    deadline = time.monotonic() + 30
    while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        scan = httpx.get(f"{base}/api/v1/scans/{scan['id']}", headers=auth).json()
    assert scan["status"] == "completed"
    views = httpx.get(f"{base}/api/v1/assets", headers=auth, params={"type": "view"}).json()
    assert [v["name"] for v in views["items"]] == ["big_orders"]
    spec = httpx.get(f"{base}/openapi.json").json()
    assert "/api/v1/assets" in spec["paths"]
