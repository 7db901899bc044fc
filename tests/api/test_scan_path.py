"""A scan started through the API is an execution of ``scan:SOURCE`` (one scan path): the
POST answers with its execution id, the execution is watched and listed like any other, the
integer scan id stays readable as an alias, and the source's per-source limit applies to the
scan's tasks as it does to the CLI's."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess

ACTIVE = ("pending", "initializing", "running", "retrying", "paused")


class Api:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(
            base_url=f"{server.base}/api/v1", headers=server.headers, timeout=30
        )

    def add_source(self, name: str, db: Path, options: dict[str, Any] | None = None) -> None:
        body = {"name": name, "url": f"sqlite:///{db}", "options": options or {}}
        added = self.http.post("/sources", json=body)
        assert added.status_code == 201, added.text

    def wait_execution(self, execution_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.http.get(f"/executions/{execution_id}")
            assert got.status_code == 200, got.text
            if got.json()["status"] not in ACTIVE:
                return dict(got.json())
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} still running after {timeout} s")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("scan-path")
    shutil.copy(corpora / "sample_dbs" / "chinook.sqlite", tmp / "chinook.sqlite")
    server = ServerProcess(tmp / "home")
    server.start()
    client = Api(server)
    try:
        yield client
    finally:
        client.http.close()
        server.stop()


@pytest.fixture(scope="module")
def chinook(api: Api) -> Path:
    db = api.server.home.parent / "chinook.sqlite"
    api.add_source("chinook", db)
    return db


def test_a_scan_is_an_execution_and_its_scan_id_an_alias(api: Api, chinook: Path) -> None:
    started = api.http.post("/scans", json={"source": "chinook"})
    assert started.status_code == 202, started.text
    scan = started.json()
    execution_id, scan_id = scan["execution_id"], scan["id"]
    assert execution_id and isinstance(scan_id, int)

    execution = api.wait_execution(execution_id)
    assert execution["status"] == "completed", execution
    assert execution["workflow"] == "scan:chinook" and execution["trigger"] == "scan"
    assert [s["id"] for s in execution["steps"]] == ["discover", "lineage"]
    listed = api.http.get("/executions", params={"workflow": "scan:chinook"}).json()["items"]
    assert execution_id in [e["id"] for e in listed]

    alias = api.http.get(f"/scans/{scan_id}").json()
    assert alias["execution_id"] == execution_id and alias["status"] == "completed"
    tables = sqlite3.connect(chinook).execute(
        "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')"
    )
    assert alias["objects_total"] == alias["objects_done"] == tables.fetchone()[0]
    events = api.http.get(f"/scans/{scan_id}/events", params={"limit": 500}).json()
    assert events["total"] > 0 and {e["event_type"] for e in events["items"]} == {"created"}
    listed_scans = api.http.get("/scans", params={"source": "chinook"}).json()["items"]
    assert listed_scans[0]["id"] == scan_id and listed_scans[0]["execution_id"] == execution_id

    # the source's own scan route starts the same kind of execution
    again = api.http.post("/sources/chinook/scans")
    assert again.status_code == 202, again.text
    second = again.json()
    assert second["execution_id"] not in (None, execution_id) and second["id"] > scan_id
    assert api.wait_execution(second["execution_id"])["status"] == "completed"
    rescanned = api.http.get(f"/scans/{second['id']}").json()
    assert rescanned["status"] == "completed"
    assert rescanned["report"]["objects_skipped_unchanged"] == rescanned["objects_total"]


def _max_overlap(home: Path, execution_id: str, step: str) -> tuple[int, int]:
    """(tasks, the most of them that ran at once) of one step of an execution."""
    conn = sqlite3.connect(home / "sounding.db")
    try:
        rows = conn.execute(
            "SELECT started_at, finished_at FROM task_attempts "
            "WHERE execution_id = ? AND step_id = ?",
            (execution_id, step),
        ).fetchall()
    finally:
        conn.close()
    spans = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in rows]
    most = max(sum(1 for s, f in spans if s <= start < f) for start, _ in spans)
    return len(spans), most


def test_an_api_scan_keeps_the_source_per_source_limit(api: Api, chinook: Path) -> None:
    api.add_source("capped", chinook, {"max_concurrent": 1})
    api.add_source("free", chinook)
    runs = {}
    for name in ("capped", "free"):
        started = api.http.post("/scans", json={"source": name, "profile": True})
        assert started.status_code == 202, started.text
        runs[name] = started.json()["execution_id"]
    for name, execution_id in runs.items():
        assert api.wait_execution(execution_id)["status"] == "completed", name

    tasks, most = _max_overlap(api.server.home, runs["capped"], "profile")
    assert tasks == 11 and most == 1  # one profile task of the source at a time
    tasks, most = _max_overlap(api.server.home, runs["free"], "profile")
    assert tasks == 11 and most > 1  # without the cap the same scan runs tasks side by side


def test_a_cancelled_scan_reads_cancelled_and_does_not_block_the_next(
    api: Api, chinook: Path
) -> None:
    api.add_source("stopped", chinook, {"max_concurrent": 1})
    scan = api.http.post("/scans", json={"source": "stopped", "profile": True}).json()
    cancelled = api.http.post(f"/executions/{scan['execution_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    execution = api.wait_execution(scan["execution_id"])
    assert execution["status"] == "cancelled", execution
    alias = api.http.get(f"/scans/{scan['id']}").json()
    assert alias["status"] == "cancelled" and alias["finished_at"] is not None
    again = api.http.post("/scans", json={"source": "stopped"})
    assert again.status_code == 202, again.text
    assert api.wait_execution(again.json()["execution_id"])["status"] == "completed"
