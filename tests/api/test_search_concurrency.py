"""Concurrent searches against one real `sounding serve` never fail (issue 20's 503).

The server opens its search index lazily, on the first search: fifty searches arriving at
once used to open it several times, and every open but the first found the index locked "by
another Sounding process" — its own. One index per process, shared by every thread.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess

QUERIES = ("customer", "invoice", "track", "album", "artist", "employee", "genre", "media")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[ServerProcess]:
    """A server with the Chinook sample database scanned, and no search run yet."""
    proc = ServerProcess(tmp_path_factory.mktemp("search-concurrency") / "home")
    proc.start()
    try:
        url = f"sqlite:///{corpora / 'sample_dbs' / 'chinook.sqlite'}"
        added = httpx.post(
            f"{proc.base}/api/v1/sources",
            headers=proc.headers,
            json={"name": "chinook", "url": url},
        )
        assert added.status_code == 201, added.text
        _scan(proc)
        yield proc
    finally:
        proc.stop()


def _scan(proc: ServerProcess) -> dict[str, Any]:
    resp = httpx.post(f"{proc.base}/api/v1/scans", headers=proc.headers, json={"source": "chinook"})
    assert resp.status_code == 202, resp.text
    scan = resp.json()
    deadline = time.monotonic() + 60
    while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        scan = httpx.get(f"{proc.base}/api/v1/scans/{scan['id']}", headers=proc.headers).json()
    assert scan["status"] == "completed", scan
    return scan


def _search_all(proc: ServerProcess, n: int) -> list[httpx.Response]:
    def one(i: int) -> httpx.Response:
        q = QUERIES[i % len(QUERIES)]
        return httpx.get(
            f"{proc.base}/api/v1/search", headers=proc.headers, params={"q": q}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_fifty_concurrent_first_searches_all_answer(server: ServerProcess) -> None:
    answers = _search_all(server, 50)
    failed = [(r.status_code, r.text[:200]) for r in answers if r.status_code != 200]
    assert not failed, failed
    assert all(r.json()["items"] for r in answers)  # the scanned catalog is found


def test_searches_answer_while_the_catalog_is_written(server: ServerProcess) -> None:
    """Edits and a rescan note changes in the outbox; searches apply them while others read."""
    base, headers = server.base, server.headers
    tables = httpx.get(
        f"{base}/api/v1/assets", headers=headers, params={"type": "table", "limit": 20}
    ).json()["items"]
    with ThreadPoolExecutor(max_workers=2) as writers:
        rescan = writers.submit(_scan, server)
        edits = writers.submit(
            lambda: [
                httpx.patch(
                    f"{base}/api/v1/assets/{t['urn']}",
                    headers=headers,
                    json={"description": f"edited while searching {i}"},
                    timeout=60,
                ).status_code
                for i, t in enumerate(tables)
            ]
        )
        answers = _search_all(server, 50)
        rescan.result()
        assert set(edits.result()) == {200}
    failed = [(r.status_code, r.text[:200]) for r in answers if r.status_code != 200]
    assert not failed, failed
    found = httpx.get(
        f"{base}/api/v1/search", headers=headers, params={"q": "edited while searching"}
    ).json()
    assert {h["urn"] for h in found["items"]} >= {t["urn"] for t in tables}


@pytest.mark.slow  # a second interpreter importing everything
def test_a_cli_search_beside_the_server_is_refused_in_one_line(server: ServerProcess) -> None:
    """Another process (the CLI) still may not open the index the server holds."""
    _search_all(server, 1)  # the server holds the index from its first search on
    cli = subprocess.run(
        [sys.executable, "-m", "sounding.cli", "search", "customer"],
        env={**server.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode != 0
    assert "in use by another Sounding process" in cli.stderr
    assert "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) == 1
