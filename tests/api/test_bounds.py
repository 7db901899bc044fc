"""Bounds on paging and ids, cursor paging, and size limits, through a real `sounding serve`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source

TABLES = 24
PARSE_SECONDS = 1.0


class Client:
    def __init__(self, server: ServerProcess) -> None:
        self.base = server.base
        self.http = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        self.scan_id = 0

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def healthy(self) -> bool:
        return self.http.get("/healthz").status_code == 200


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One server with a scanned source of 24 tables; small SQL limits and one heavy slot."""
    home = tmp_path_factory.mktemp("bounds")
    ddl = "".join(f"CREATE TABLE customer_{i:02d} (id INTEGER, name TEXT);" for i in range(TABLES))
    url = sqlite_source(home / "wide.db", ddl)
    env = {
        "SOUNDING_MAX_SQL_BYTES": "300000",
        "SOUNDING_SQL_PARSE_SECONDS": str(PARSE_SECONDS),
        "SOUNDING_HEAVY_REQUESTS": "1",
        "SOUNDING_HEAVY_WAIT_SECONDS": "0.2",
    }
    server = ServerProcess(home / "home", env=env)
    server.env.pop("SOUNDING_DATABASE_URL", None)
    server.start()
    try:
        c = Client(server)
        assert c.http.post("/api/v1/sources", json={"name": "wide", "url": url}).status_code == 201
        scan = c.http.post("/api/v1/scans", json={"source": "wide"}).json()
        deadline = time.monotonic() + 30
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
            scan = c.get(f"/api/v1/scans/{scan['id']}").json()
        assert scan["status"] == "completed", scan
        c.scan_id = scan["id"]
        for i in range(12):  # audited: the audit log and the user list span pages too
            user = {"name": f"user{i:02d}", "role": "viewer"}
            assert c.http.post("/api/v1/users", json=user).status_code == 201
        yield c
        c.http.close()
    finally:
        server.stop()


def _error(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    return str(resp.json()["error"]["message"])


# --- paging bounds ---------------------------------------------------------------------------


def test_huge_search_offset_is_422_and_the_server_stays_up(client: Client) -> None:
    resp = client.get("/api/v1/search", q="customer", offset=4294967296)
    assert "offset" in _error(resp, 422)
    assert client.healthy()
    # the deepest allowed offset, far past the hits, is an empty page, not a huge allocation
    deep = client.get("/api/v1/search", q="customer", offset=10_000)
    assert deep.status_code == 200 and deep.json()["items"] == []
    assert deep.json()["next_cursor"] is None
    assert client.healthy()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/assets", {"limit": 1001}),
        ("/api/v1/audit", {"limit": 1001}),
        ("/api/v1/quality/runs", {"limit": 1001}),
        ("/api/v1/executions", {"limit": 1001}),
        ("/api/v1/search", {"q": "customer", "limit": 201}),
        ("/api/v1/assets", {"offset": 10_001}),
        ("/api/v1/audit", {"offset": -1}),
        ("/api/v1/assets", {"parent_id": 2**63}),
        ("/api/v1/insights/forecasts", {"tasks": 10**30}),
        ("/api/v1/executions/x/events", {"after": 2**63}),
    ],
)
def test_limits_over_the_bound_are_422(client: Client, path: str, params: dict[str, Any]) -> None:
    name = next(iter(params))
    assert name in _error(client.get(path, **params), 422)


def test_limit_at_the_bound_is_accepted(client: Client) -> None:
    assert client.get("/api/v1/assets", limit=1000).status_code == 200
    assert client.get("/api/v1/search", q="customer", limit=200).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scans/9223372036854775808",
        "/api/v1/quality/rules/99999999999999999999",
        "/api/v1/compliance/findings/9223372036854775808",
        "/api/v1/scans/0",
    ],
)
def test_ids_outside_64_bits_are_422(client: Client, path: str) -> None:
    _error(client.get(path), 422)
    assert client.get("/api/v1/scans/9223372036854775807").status_code == 404


# --- cursor paging ---------------------------------------------------------------------------


def _walk_offsets(client: Client, path: str, limit: int, **params: Any) -> list[Any]:
    seen: list[Any] = []
    offset = 0
    while True:
        page = client.get(path, limit=limit, offset=offset, **params).json()
        seen += [item["id"] for item in page["items"]]
        offset += limit
        if offset >= page["total"]:
            return seen


def _walk_cursor(client: Client, path: str, limit: int, **params: Any) -> list[Any]:
    seen: list[Any] = []
    page = client.get(path, limit=limit, **params).json()
    while True:
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return seen
        page = client.get(path, limit=limit, cursor=page["next_cursor"], **params).json()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/assets", {"type": "column"}),
        ("/api/v1/audit", {}),
        ("/api/v1/users", {}),
        ("/api/v1/scans/{scan}/events", {}),
        ("/api/v1/search", {"q": "customer"}),
    ],
)
def test_cursor_walks_the_whole_list_without_gaps_or_duplicates(
    client: Client, path: str, params: dict[str, Any]
) -> None:
    path = path.format(scan=client.scan_id)
    by_offset = _walk_offsets(client, path, 3, **params)
    by_cursor = _walk_cursor(client, path, 3, **params)
    assert len(by_offset) > 9  # several pages
    assert by_cursor == by_offset
    assert len(set(by_cursor)) == len(by_cursor)


def test_cursor_goes_past_the_offset_bound(client: Client) -> None:
    """Far pages are reached by cursor only: the position a cursor carries is not capped by
    the offset bound (shown with limit 1 over every column: 48 positions, each one a page)."""
    total = client.get("/api/v1/assets", type="column", limit=1).json()["total"]
    ids = _walk_cursor(client, "/api/v1/assets", 1, type="column")
    assert len(ids) == total == TABLES * 2


def test_keyset_cursor_neither_repeats_nor_skips_while_the_list_grows(client: Client) -> None:
    """The audit log is newest first: entries written during a walk land before its cursor.
    A position would then shift and repeat items; the cursor seeks after the last id seen."""
    before = _walk_offsets(client, "/api/v1/audit", 1000)
    seen: list[int] = []
    page = client.get("/api/v1/audit", limit=4).json()
    n = 0
    while True:
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        n += 1  # a new audit entry on every page turn
        assert client.http.post("/api/v1/users", json={"name": f"walker{n}"} | {"role": "viewer"})
        page = client.get("/api/v1/audit", limit=4, cursor=page["next_cursor"]).json()
    assert n >= 3
    assert seen == before  # exactly the entries there were when the walk began, in order


def test_a_forged_deep_cursor_does_not_reach_native_code_unchecked(client: Client) -> None:
    """A cursor's checksum is no secret (this code is public): a made-up position far beyond
    the index is an empty page, never a huge allocation in the full-text index."""
    from sounding.api.paging import encode_cursor

    forged = encode_cursor("/api/v1/search", 2**40)
    resp = client.get("/api/v1/search", q="customer", cursor=forged)
    assert resp.status_code == 200, resp.text
    assert resp.json()["items"] == [] and resp.json()["next_cursor"] is None
    assert client.healthy()


def test_bad_cursors_are_422(client: Client) -> None:
    first = client.get("/api/v1/assets", limit=2).json()
    cursor = first["next_cursor"]
    assert cursor
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert "cursor" in _error(client.get("/api/v1/assets", cursor=tampered), 422)
    assert "cursor" in _error(client.get("/api/v1/assets", cursor="not a cursor!"), 422)
    # a cursor belongs to the list that issued it
    _error(client.get("/api/v1/audit", cursor=cursor), 422)
    assert "not both" in _error(client.get("/api/v1/assets", cursor=cursor, offset=3), 422)
    second = client.get("/api/v1/assets", limit=2, cursor=cursor).json()
    assert [a["id"] for a in second["items"]] == [
        a["id"] for a in client.get("/api/v1/assets", limit=2, offset=2).json()["items"]
    ]


# --- size limits -----------------------------------------------------------------------------


def test_body_over_10_mb_is_413(client: Client) -> None:
    body = b'{"sql": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    resp = client.http.post(
        "/api/v1/lineage/parse", content=body, headers={"Content-Type": "application/json"}
    )
    message = _error(resp, 413)
    assert str(10 * 1024 * 1024) in message and "SOUNDING_MAX_BODY_BYTES" in message


def test_the_import_endpoint_takes_bodies_over_the_general_limit(client: Client) -> None:
    """Held to SOUNDING_MAX_IMPORT_BODY_BYTES (100 MB): an 11 MB import reaches the route,
    which names what is wrong with its content (here: it is not JSON)."""
    body = json.dumps({"format": "json", "content": "{" + "x" * (11 * 1024 * 1024)})
    resp = client.http.post(
        "/api/v1/glossary/terms/import", content=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 422, resp.text[:300]
    assert "SOUNDING_MAX" not in resp.text


def test_chunked_body_over_the_limit_is_413(client: Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"sql": "'
        for _ in range(11):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    resp = client.http.post(
        "/api/v1/lineage/parse", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "SOUNDING_MAX_BODY_BYTES" in _error(resp, 413)
    assert client.healthy()


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_json_is_422(client: Client, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    resp = client.http.post(
        "/api/v1/lineage",
        content=f'{{"eventType": "COMPLETE", "x": {nested}}}',
        headers={"Content-Type": "application/json"},
    )
    assert "SOUNDING_MAX_JSON_DEPTH" in _error(resp, 422)


def test_nesting_inside_strings_does_not_count(client: Client) -> None:
    sql = "SELECT '\\\"" + "[" * 500 + "' AS a FROM t"  # an escaped quote, then brackets
    resp = client.http.post("/api/v1/lineage/parse", json={"sql": sql})
    assert resp.status_code == 200, resp.text


def test_deeply_nested_yaml_is_422(client: Client) -> None:
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + f"{'  ' * 200}v: 1\n"
    resp = client.http.post(
        "/api/v1/compliance/frameworks",
        content=text,
        headers={"Content-Type": "application/yaml"},
    )
    assert "SOUNDING_MAX_JSON_DEPTH" in _error(resp, 422)


def test_sql_over_the_size_limit_is_413(client: Client) -> None:
    sql = "SELECT a FROM t;\n" * 20_000  # 340 KB, over the 300 KB set for this server
    resp = client.http.post("/api/v1/lineage/parse", json={"sql": sql})
    message = _error(resp, 413)
    assert "300000" in message and "SOUNDING_MAX_SQL_BYTES" in message


def _slow_sql() -> str:
    return "".join(
        f"INSERT INTO t{i} SELECT a.x, b.y FROM a JOIN b ON a.id = b.id WHERE a.z > {i};\n"
        for i in range(2500)
    )


def test_sql_that_parses_too_long_is_422(client: Client) -> None:
    started = time.monotonic()
    resp = client.http.post("/api/v1/lineage/parse", json={"sql": _slow_sql()})
    assert "SOUNDING_SQL_PARSE_SECONDS" in _error(resp, 422)
    assert time.monotonic() - started < PARSE_SECONDS + 5


def test_one_statement_past_the_deadline_is_stopped_and_the_next_parse_works(
    client: Client,
) -> None:
    """One huge statement cannot be stopped between statements: its worker process is
    killed shortly after the deadline and replaced."""
    columns = ", ".join(f"a.c{i} + b.d{i} AS e{i}" for i in range(10_000))  # ~10 s to parse
    sql = f"INSERT INTO x SELECT {columns} FROM a JOIN b ON a.id = b.id"
    started = time.monotonic()
    resp = client.http.post("/api/v1/lineage/parse", json={"sql": sql})
    assert "SOUNDING_SQL_PARSE_SECONDS" in _error(resp, 422)
    assert time.monotonic() - started < PARSE_SECONDS + 5
    fine = client.http.post("/api/v1/lineage/parse", json={"sql": "SELECT a FROM t"})
    assert fine.status_code == 200 and fine.json()["sources"] == ["t"]


def test_cpu_heavy_requests_beyond_the_cap_get_503_and_others_stay_fast(client: Client) -> None:
    warm = client.http.post("/api/v1/lineage/parse", json={"sql": "SELECT 1"})
    assert warm.status_code == 200  # the worker process is up before the load starts
    results: list[httpx.Response] = []
    slow = threading.Thread(
        target=lambda: results.append(
            client.http.post("/api/v1/lineage/parse", json={"sql": _slow_sql()})
        )
    )
    slow.start()
    try:
        time.sleep(0.3)  # the slow one holds the only worker
        with ThreadPoolExecutor(4) as pool:  # one may wait (0.2 s), the others are refused
            answers = list(
                pool.map(
                    lambda _: client.http.post(
                        "/api/v1/lineage/parse", json={"sql": "SELECT a FROM t"}
                    ),
                    range(4),
                )
            )
        for busy in answers:
            assert "SOUNDING_HEAVY_REQUESTS" in _error(busy, 503)
            assert int(busy.headers["Retry-After"]) >= 1
        timings = []
        while slow.is_alive() and len(timings) < 10:
            started = time.monotonic()
            assert client.get("/api/v1/me").status_code == 200
            timings.append(time.monotonic() - started)
        assert timings and max(timings) < 1.0  # not seconds, as when parsing ran in-process
    finally:
        slow.join()
    assert results[0].status_code == 422  # it ran into the parse deadline
    fine = client.http.post("/api/v1/lineage/parse", json={"sql": "SELECT a FROM t"})
    assert fine.status_code == 200 and fine.json()["sources"] == ["t"]


def test_error_bodies_are_json(client: Client) -> None:
    resp = client.http.post(
        "/api/v1/lineage/parse",
        content=json.dumps({"sql": "x" * 400_000}),
        headers={"Content-Type": "application/json"},
    )
    assert resp.json()["error"]["details"]["setting"] == "SOUNDING_MAX_SQL_BYTES"


def test_server_is_healthy_after_everything(client: Client, tmp_path: Path) -> None:
    assert client.healthy()


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow  # a server of its own, killed
def test_sql_workers_do_not_outlive_a_crashed_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home")
    server.env.pop("SOUNDING_DATABASE_URL", None)
    server.start()
    try:
        resp = httpx.post(
            f"{server.base}/api/v1/lineage/parse",
            json={"sql": "SELECT a FROM t"},
            headers=server.headers,
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        assert server.proc is not None
        workers = _children(server.proc.pid)
        assert workers  # the parse ran in a worker process
    finally:
        server.kill()  # SIGKILL: no shutdown code runs
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _running(p)], "worker processes outlived the server"


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child nobody has reaped yet)."""
    try:
        return ") Z" not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
