"""Tokens expire and rotate; the store's files are owner-only; local sources cannot be the
store, SOUNDING_HOME or system paths, and stay under SOUNDING_FILE_SOURCE_ROOTS when set;
/metrics asks for a token when a setting says so. All through a real ``sounding serve``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess

METRICS_TOKEN = "metrics-Zx81-scrape"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("at-rest")
    (root / "lake" / "sales").mkdir(parents=True)
    (root / "lake" / "sales" / "orders.csv").write_text("id,amount\n1,10\n")
    (root / "elsewhere").mkdir()
    env = {
        "SOUNDING_METRICS_TOKEN": METRICS_TOKEN,
        "SOUNDING_FILE_SOURCE_ROOTS": str(root / "lake"),
    }
    proc = ServerProcess(root / "home", env=env)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _api(server: ServerProcess) -> str:
    return f"{server.base}/api/v1"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _user_token(server: ServerProcess, user: str, **body: Any) -> dict[str, Any]:
    api = _api(server)
    made = httpx.post(f"{api}/users", json={"name": user, "role": "viewer"}, headers=server.headers)
    assert made.status_code in (201, 409), made.text
    r = httpx.post(f"{api}/users/{user}/tokens", json=body, headers=server.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _me(server: ServerProcess, token: str) -> httpx.Response:
    return httpx.get(f"{_api(server)}/me", headers=_bearer(token))


def test_tokens_expire(server: ServerProcess) -> None:
    default = _user_token(server, "viewer1")
    expires = datetime.fromisoformat(default["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
    short = _user_token(server, "viewer1", expires_in="1s")
    assert _me(server, short["token"]).status_code == 200
    time.sleep(1.3)
    gone = _me(server, short["token"])
    assert gone.status_code == 401 and "expired" in gone.json()["error"]["message"]
    forever = _user_token(server, "viewer1", expires_in="never")
    assert forever["expires_at"] is None and _me(server, forever["token"]).status_code == 200
    bad = httpx.post(
        f"{_api(server)}/users/viewer1/tokens", json={"expires_in": "soon"}, headers=server.headers
    )
    assert bad.status_code == 422 and "expires_in" in bad.json()["error"]["message"]


def test_a_user_rotates_their_own_token(server: ServerProcess) -> None:
    old = _user_token(server, "viewer2", name="laptop")
    other = _user_token(server, "viewer3")
    api = _api(server)
    # not someone else's
    r = httpx.post(f"{api}/tokens/{other['id']}/rotate", headers=_bearer(old["token"]))
    assert r.status_code == 403
    r = httpx.post(
        f"{api}/tokens/{old['id']}/rotate", json={"expires_in": "7d"}, headers=_bearer(old["token"])
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["replaces"] == old["id"] and new["user"] == "viewer2"
    assert _me(server, old["token"]).status_code == 401
    assert _me(server, new["token"]).json()["name"] == "viewer2"
    listed = httpx.get(f"{api}/users/viewer2/tokens", headers=server.headers).json()["items"]
    assert {t["name"] for t in listed} == {"laptop"}
    assert [t["replaced_by"] for t in listed if t["id"] == old["id"]] == [new["id"]]


def _cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args],
        env={**os.environ, "SOUNDING_HOME": str(server.home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow  # three CLI processes
def test_cli_creates_tokens_with_a_lifetime_and_rotates_them(server: ServerProcess) -> None:
    _user_token(server, "viewer4")
    made = _cli(server, "token", "create", "viewer4", "--expires-in", "30d", "--json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) < timedelta(days=31)
    rotated = _cli(server, "token", "rotate", str(created["id"]), "--json")
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)
    assert _me(server, created["token"]).status_code == 401
    assert _me(server, new["token"]).status_code == 200
    bad = _cli(server, "token", "create", "viewer4", "--expires-in", "later")
    assert bad.returncode == 2 and "expires_in" in bad.stderr


def test_home_store_and_key_are_owner_only(server: ServerProcess) -> None:
    home = server.home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    files = [home / "sounding.db", home / "secret.key"]
    files += [p for p in (home / "sounding.db-wal", home / "sounding.db-shm") if p.exists()]
    assert len(files) >= 3  # the server runs in WAL mode
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("{home}", "SOUNDING_HOME"),
        ("file://{home}", "SOUNDING_HOME"),
        ("sqlite:///{home}/sounding.db", "store"),
        ("duckdb:///{home}/secret.key", "secret key"),
        ("{home}/..", "contains it"),
        ("file:///etc", "system path /etc"),
        ("/proc", "system path /proc"),
        ("/", "contains"),
        ("sqlite:////var/lib/dpkg/status.db", "system path /var/lib"),
        ("{root}/elsewhere", "SOUNDING_FILE_SOURCE_ROOTS"),
    ],
)
def test_forbidden_local_sources_are_refused(server: ServerProcess, url: str, reason: str) -> None:
    url = url.format(home=server.home, root=server.home.parent)
    r = httpx.post(
        f"{_api(server)}/sources", json={"name": "x", "url": url}, headers=server.headers
    )
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert message.startswith("Cannot register") and reason in message


def test_sources_under_the_allowed_roots_are_accepted(server: ServerProcess) -> None:
    url = str(server.home.parent / "lake" / "sales")
    body = {"name": "sales", "url": url}
    r = httpx.post(f"{_api(server)}/sources", json=body, headers=server.headers)
    assert r.status_code == 201, r.text
    changed = httpx.patch(
        f"{_api(server)}/sources/sales", json={"url": "/etc"}, headers=server.headers
    )
    assert changed.status_code == 422


def test_metrics_need_the_metrics_token(server: ServerProcess) -> None:
    url = f"{server.base}/metrics"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers=_bearer("wrong")).status_code == 401
    assert httpx.get(url, headers=server.headers).status_code == 401  # a user token is not it
    ok = httpx.get(url, headers=_bearer(METRICS_TOKEN))
    assert ok.status_code == 200 and "sounding_http_request_duration_seconds" in ok.text


def test_metrics_can_require_any_user(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "home", env={"SOUNDING_METRICS_REQUIRE_AUTH": "true"})
    proc.start()
    try:
        url = f"{proc.base}/metrics"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers=_bearer("snd_nonsense")).status_code == 401
        assert httpx.get(url, headers=proc.headers).status_code == 200
    finally:
        proc.stop()
