"""A served token cache (issue 20), through a real ``sounding serve`` on SQLite and PostgreSQL:
a token revoked, or a user changed, through the server is refused or changed from the next
request; revoked by another process (the CLI) on the same store, at once on SQLite (read for
every request) and within a second on PostgreSQL (cached for a second)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sounding.testing.server import ServerProcess


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {}
    if request.param == "postgres":
        env["SOUNDING_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    proc = ServerProcess(tmp_path / "home", env=env)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _client(server: ServerProcess, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _viewer_token(admin: httpx.Client, user: str) -> dict[str, object]:
    made = admin.post("/api/v1/users", json={"name": user, "role": "viewer"})
    assert made.status_code == 201, made.text
    token = admin.post(f"/api/v1/users/{user}/tokens", json={"name": "t"})
    assert token.status_code == 201, token.text
    return dict(token.json())


def test_changes_through_the_server_apply_from_the_next_request(served: ServerProcess) -> None:
    with _client(served, served.token) as admin:
        token = _viewer_token(admin, "vic")
        with _client(served, str(token["token"])) as viewer:
            for _ in range(20):  # looked up once, then answered from the cache
                me = viewer.get("/api/v1/me")
                assert me.status_code == 200 and me.json()["role"] == "viewer", me.text
            changed = admin.patch("/api/v1/users/vic", json={"role": "steward"})
            assert changed.status_code == 200, changed.text
            assert viewer.get("/api/v1/me").json()["role"] == "steward"
            assert admin.delete(f"/api/v1/tokens/{token['id']}").status_code == 204
            refused = viewer.get("/api/v1/me")
            assert refused.status_code == 401, refused.text


def test_a_token_revoked_by_the_cli_is_refused_within_a_second(served: ServerProcess) -> None:
    with _client(served, served.token) as admin:
        token = _viewer_token(admin, "cli-victim")
    with _client(served, str(token["token"])) as viewer:
        assert viewer.get("/api/v1/me").status_code == 200
        revoked = subprocess.run(
            [sys.executable, "-m", "sounding.cli", "token", "revoke", str(token["id"])],
            env=served.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert revoked.returncode == 0, revoked.stdout + revoked.stderr
        done = time.monotonic()
        answers = []
        while time.monotonic() - done < 3:
            answers.append((time.monotonic() - done, viewer.get("/api/v1/me").status_code))
            if answers[-1][1] == 401:
                break
            time.sleep(0.05)
        assert answers[-1][1] == 401, answers
        if not served.env.get("SOUNDING_DATABASE_URL"):
            assert len(answers) == 1, answers  # SQLite: the token is read for every request
        # PostgreSQL: read at most CHECK_EVERY (1 s) before the revocation ended
        assert answers[-1][0] <= 1.5, answers
