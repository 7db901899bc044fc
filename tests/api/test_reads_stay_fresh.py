"""What issue 20's read-path work keeps in memory never serves a stale answer (real server).

The search index keeps the decoded payloads of its current snapshot and its outbox cursor in
memory; a lineage read now finds its start without the asset page; permissions are checked
without a thread-pool hop. Each test writes through the API and reads straight after.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sounding.testing.server import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[ServerProcess]:
    """A server with the Chinook sample database scanned."""
    proc = ServerProcess(tmp_path_factory.mktemp("reads-fresh") / "home")
    proc.start()
    try:
        url = f"sqlite:///{corpora / 'sample_dbs' / 'chinook.sqlite'}"
        added = httpx.post(
            f"{proc.base}/api/v1/sources",
            headers=proc.headers,
            json={"name": "chinook", "url": url},
        )
        assert added.status_code == 201, added.text
        scan = httpx.post(
            f"{proc.base}/api/v1/scans", headers=proc.headers, json={"source": "chinook"}
        ).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            scan = httpx.get(f"{proc.base}/api/v1/scans/{scan['id']}", headers=proc.headers).json()
        assert scan["status"] == "completed", scan
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    """The admin's client, closed after the test."""
    with _client(server) as c:
        yield c


def _client(server: ServerProcess, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else server.headers
    return httpx.Client(base_url=server.base, headers=headers, timeout=60)


def _table(client: httpx.Client, name: str) -> dict[str, object]:
    items = client.get("/api/v1/assets", params={"type": "table", "q": name}).json()["items"]
    return next(t for t in items if t["name"] == name)


def test_an_edit_shows_in_the_next_search_hit(client: httpx.Client) -> None:
    """The same search, asked before and after an edit, answers with the edited document:
    payloads decoded for one snapshot are never served from the next."""
    album = _table(client, "Album")

    def hit() -> dict[str, object]:
        found = client.get("/api/v1/search", params={"q": "album", "limit": 50}).json()
        return next(h for h in found["items"] if h["urn"] == album["urn"])

    for _ in range(3):  # the payload is decoded once and then read from memory
        assert "zephyrine" not in str(hit()["description"])
    for word in ("zephyrine", "quillwort"):
        edited = client.patch(
            f"/api/v1/assets/{album['id']}", json={"description": f"Albums, {word} edition"}
        )
        assert edited.status_code == 200, edited.text
        assert hit()["description"] == f"Albums, {word} edition"
        found = client.get("/api/v1/search", params={"q": word}).json()["items"]
        assert album["urn"] in {h["urn"] for h in found}


def test_searches_repeat_the_same_answer(client: httpx.Client) -> None:
    """Reading payloads from memory changes nothing in the answer."""
    first = client.get("/api/v1/search", params={"q": "invoice line", "limit": 20}).json()
    for _ in range(3):
        again = client.get("/api/v1/search", params={"q": "invoice line", "limit": 20}).json()
        assert again == first


def test_lineage_reads_follow_edits_and_refuse_unknown_assets(client: httpx.Client) -> None:
    artist, album = _table(client, "Artist"), _table(client, "Album")

    def upstream(ref: object) -> httpx.Response:
        return client.get(f"/api/v1/assets/{ref}/lineage", params={"direction": "upstream"})

    before = upstream(album["id"]).json()
    assert before["root"] == album["id"]
    made = client.post(
        "/api/v1/lineage/edges", json={"source": artist["urn"], "target": album["urn"]}
    )
    assert made.status_code == 201, made.text
    after = upstream(album["urn"]).json()  # by URN too
    assert artist["id"] in {n["id"] for n in after["nodes"]}
    assert {(e["source"], e["target"]) for e in after["edges"]} >= {(artist["id"], album["id"])}
    edge = next(
        e for e in after["edges"] if (e["source"], e["target"]) == (artist["id"], album["id"])
    )
    assert client.delete(f"/api/v1/lineage/edges/{edge['id']}").status_code == 204
    assert artist["id"] not in {n["id"] for n in upstream(album["id"]).json()["nodes"]}
    columns = client.get(f"/api/v1/assets/{album['id']}/lineage", params={"level": "column"}).json()
    detail = client.get(f"/api/v1/assets/{album['id']}").json()
    column_ids = {c["id"] for c in detail["children"]}
    assert {n["id"] for n in columns["nodes"] if n["distance"] == 0} == column_ids
    for missing in ("999999", "urn:sounding:chinook:nope"):
        gone = upstream(missing)
        assert gone.status_code == 404, gone.text
        assert "not found" in gone.json()["error"]["message"]


def test_a_revoked_token_is_refused_at_once_and_a_viewer_cannot_write(
    server: ServerProcess, client: httpx.Client
) -> None:
    admin = client
    made = admin.post("/api/v1/users", json={"name": "fresh-viewer", "role": "viewer"})
    assert made.status_code == 201, made.text
    token = admin.post("/api/v1/users/fresh-viewer/tokens", json={"name": "t"}).json()
    with _client(server, token["token"]) as viewer:
        _viewer_reads_until_revoked(admin, viewer, token["id"])


def _viewer_reads_until_revoked(admin: httpx.Client, viewer: httpx.Client, token_id: int) -> None:
    album = _table(viewer, "Album")
    for _ in range(3):
        assert viewer.get("/api/v1/search", params={"q": "album"}).status_code == 200
    refused = viewer.patch(f"/api/v1/assets/{album['id']}", json={"description": "no"})
    assert refused.status_code == 403, refused.text
    assert admin.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    for path in ("/api/v1/search?q=album", f"/api/v1/assets/{album['id']}", "/api/v1/me"):
        assert viewer.get(path).status_code == 401
