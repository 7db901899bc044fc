"""Source credentials never leave in clear: not to viewers, not in errors, not in the store file.

Every credential form of a URL goes through one redaction (``domain.credentials.redact``); the
whole URL is kept only Fernet-encrypted. Checked through a real ``sounding serve``, the CLI on
the same home, and the raw bytes of the SQLite store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from sounding.testing.server import ServerProcess, free_port

SECRETS = ("Qz7SECRETpass", "Tk9SECRETtoken", "Ssl5SECRETphrase", "Ui3SECRETuser")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("secrets") / "home")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _token_for(server: ServerProcess, user: str, role: str) -> str:
    api = f"{server.base}/api/v1"
    r = httpx.post(f"{api}/users", json={"name": user, "role": role}, headers=server.headers)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{api}/users/{user}/tokens", headers=server.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


@pytest.fixture(scope="module")
def viewer(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token_for(server, 'viewer1', 'viewer')}"}


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked in: {text[:300]}"


def test_query_credentials_are_hidden_from_viewers_and_cli(
    server: ServerProcess, viewer: dict[str, str]
) -> None:
    port = free_port()  # nothing listens there: the connection test fails
    url = (
        f"postgresql://{SECRETS[3]}:{SECRETS[0]}@127.0.0.1:{port}/db?password={SECRETS[0]}"
        f"&sslpassword={SECRETS[2]}&access_token={SECRETS[1]}&sslmode=disable&connect_timeout=2"
    )
    api = f"{server.base}/api/v1"
    created = httpx.post(f"{api}/sources", json={"name": "pg", "url": url}, headers=server.headers)
    assert created.status_code == 201, created.text
    assert "password=***" in created.json()["url"]
    assert "sslmode=disable" in created.json()["url"]  # the harmless parts stay readable
    # the user name is not a secret: only the password after it goes
    shown = created.json()["url"].replace(SECRETS[3], "")
    _assert_clean(shown)

    listed = httpx.get(f"{api}/sources", headers=viewer)
    one = httpx.get(f"{api}/sources/pg", headers=viewer)
    assert listed.status_code == one.status_code == 200
    _assert_clean(listed.text.replace(SECRETS[3], ""))
    _assert_clean(one.text.replace(SECRETS[3], ""))

    # a failing connection: the driver's message must not carry the credentials either
    tested = httpx.post(f"{api}/sources/pg/test", headers=server.headers, timeout=30)
    assert tested.status_code == 400, tested.text
    assert "Failed to connect to source 'pg'" in tested.json()["error"]["message"]
    _assert_clean(tested.text.replace(SECRETS[3], ""))

    cli = subprocess.run(
        [sys.executable, "-m", "sounding.cli", "source", "list", "--json"],
        env={**os.environ, "SOUNDING_HOME": str(server.home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    items = json.loads(cli.stdout)["items"]
    assert [s["name"] for s in items] == ["pg"]
    _assert_clean(cli.stdout.replace(SECRETS[3], ""))


def test_the_store_file_holds_no_credential_in_clear(server: ServerProcess) -> None:
    url = f"mysql+pymysql://root@127.0.0.1:1/db?password={SECRETS[0]}&token={SECRETS[1]}"
    api = f"{server.base}/api/v1"
    r = httpx.post(f"{api}/sources", json={"name": "my", "url": url}, headers=server.headers)
    assert r.status_code == 201, r.text
    raw = b"".join(p.read_bytes() for p in server.home.glob("sounding.db*") if p.is_file())
    assert raw, "the SQLite store was not found"
    for secret in SECRETS[:3]:
        assert secret.encode() not in raw


def test_a_changed_url_is_redacted_too(server: ServerProcess, viewer: dict[str, str]) -> None:
    api = f"{server.base}/api/v1"
    url = "postgresql://u@127.0.0.1:1/db"
    assert httpx.post(
        f"{api}/sources", json={"name": "pg2", "url": url}, headers=server.headers
    ).is_success
    changed = f"postgresql://u@127.0.0.1:1/db?sas={SECRETS[1]}&api_key={SECRETS[2]}"
    r = httpx.patch(f"{api}/sources/pg2", json={"url": changed}, headers=server.headers)
    assert r.status_code == 200, r.text
    _assert_clean(httpx.get(f"{api}/sources/pg2", headers=viewer).text)
