"""A source killed and a source frozen mid-scan (a TCP proxy in front of the shared
PostgreSQL, cut or made to stop forwarding): their tasks fail with clear errors within the
timeouts, the healthy source's tasks finish, and once the sources are back a rescan converges
the catalog. Nothing freezes the shared server itself."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sounding.testing.server import ServerProcess
from tests.faults.proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LIMITS = {"statement_timeout": 1, "connect_timeout": 2}
# every statement on a view takes ~0.1 s, so a profile task lasts long enough to be caught
VIEW = (
    "CREATE VIEW {} AS SELECT g AS id, 'n' || g AS name "
    "FROM generate_series(1, 40) g, pg_sleep(0.1) s"
)


def _attempts(home: Path, execution: str) -> list[tuple[str, str, str, str | None]]:
    conn = sqlite3.connect(home / "sounding.db")
    try:
        return conn.execute(
            "SELECT step_id, task_key, status, error FROM task_attempts WHERE execution_id = ?",
            (execution,),
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture
def database(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in ("v1", "v2", "v3", "v4"):
            conn.exec_driver_sql(VIEW.format(name))
    yield engine
    engine.dispose()


def _wait_scan(server: ServerProcess, scan_id: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scan = httpx.get(f"{server.base}/api/v1/scans/{scan_id}", headers=server.headers).json()
        if scan["status"] not in ("pending", "running"):
            return dict(scan)
        time.sleep(0.1)
    raise AssertionError(f"scan {scan_id} still running after {timeout} s")


def _scan(server: ServerProcess, source: str, **options: Any) -> dict[str, Any]:
    started = httpx.post(
        f"{server.base}/api/v1/scans", headers=server.headers, json={"source": source, **options}
    )
    assert started.status_code == 202, started.text
    return _wait_scan(server, started.json()["id"])


def _views(server: ServerProcess, source: str) -> set[str]:
    page = httpx.get(
        f"{server.base}/api/v1/assets",
        headers=server.headers,
        params={"source": source, "type": "view", "limit": 100},
    ).json()
    tables = httpx.get(
        f"{server.base}/api/v1/assets",
        headers=server.headers,
        params={"source": source, "type": "table", "limit": 100},
    ).json()
    return {a["name"] for a in page["items"] + tables["items"]}


def test_killed_and_frozen_sources_fail_alone_and_converge(
    tmp_path: Path, database: sa.Engine
) -> None:
    url = database.url
    frozen, killed = TcpProxy(url.port or 5432), TcpProxy(url.port or 5432)
    server = ServerProcess(tmp_path / "home")
    server.start()
    try:
        for name, port in (("healthy", url.port), ("frozen", frozen.port), ("killed", killed.port)):
            source_url = url.set(host="127.0.0.1", port=port).render_as_string(False)
            added = httpx.post(
                f"{server.base}/api/v1/sources",
                headers=server.headers,
                json={"name": name, "url": source_url, "options": LIMITS},
            )
            assert added.status_code == 201, added.text
            assert _scan(server, name)["status"] == "completed"
        flow = {
            "name": "profile-all",
            "limits": {"max_concurrent": 3, "per_source": 1},
            "steps": [
                {"id": f"p_{name}", "type": "profile", "config": {"source": name}}
                for name in ("healthy", "frozen", "killed")
            ],
        }
        made = httpx.post(f"{server.base}/api/v1/orchestrations", headers=server.headers, json=flow)
        assert made.status_code == 201, made.text
        run = httpx.post(
            f"{server.base}/api/v1/orchestrations/profile-all/execute", headers=server.headers
        ).json()

        # mid-scan: once a task of each doomed source has finished, freeze one and kill the other
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = {a[0] for a in _attempts(server.home, run["id"]) if a[2] == "completed"}
            if {"p_frozen", "p_killed"} <= done:
                break
            time.sleep(0.02)
        frozen.freeze()
        killed.cut()
        broke = time.monotonic()
        status = ""
        while time.monotonic() < broke + 60 and status not in ("completed", "failed"):
            status = httpx.get(
                f"{server.base}/api/v1/executions/{run['id']}", headers=server.headers
            ).json()["status"]
            time.sleep(0.1)
        took = time.monotonic() - broke
        attempts = _attempts(server.home, run["id"])
        assert status == "failed", (status, took, attempts)
        by_step: dict[str, list[tuple[str, str | None]]] = {}
        for step, _key, state, error in attempts:
            by_step.setdefault(step, []).append((state, error))
        assert [s for s, _ in by_step["p_healthy"]] == ["completed"] * 4  # others finish
        for step in ("p_frozen", "p_killed"):
            states = [s for s, _ in by_step[step]]
            assert "completed" in states and "failed" in states, by_step[step]
        frozen_errors = [e or "" for s, e in by_step["p_frozen"] if s == "failed"]
        # every failed task names its source; the limits are what ended them (the statement
        # timeout, or the connect timeout when the freeze caught a task connecting). Which of
        # the two a given task meets depends on where the freeze caught it.
        assert all("source 'frozen'" in e.lower() for e in frozen_errors), frozen_errors
        assert any(
            "Source 'frozen' did not answer within 1 s" in e or "timeout expired" in e
            for e in frozen_errors
        ), frozen_errors
        killed_errors = [e or "" for s, e in by_step["p_killed"] if s == "failed"]
        assert all("source 'killed'" in e.lower() for e in killed_errors), killed_errors
        # at most 3 doomed tasks a source, one after the other, each within its limits
        assert took < 15, f"the failing sources held the execution {took:.1f} s"

        # an API scan of the frozen source fails within the connect timeout, not stuck running
        started = time.monotonic()
        scan = _scan(server, "frozen", profile=True)
        assert scan["status"] == "failed"
        assert "source 'frozen'" in scan["error"]
        assert time.monotonic() - started < 10

        # back again, with a changed schema: a rescan converges the catalog
        frozen.restore()
        killed.restore()
        with database.connect() as conn:
            conn.exec_driver_sql("DROP VIEW v4")
            conn.exec_driver_sql("CREATE TABLE added (id int)")
        for name in ("frozen", "killed"):
            scan = _scan(server, name, profile=True)
            assert scan["status"] == "completed", scan
            assert scan["report"].get("failures_total", 0) == 0, scan["report"]
            assert _views(server, name) == {"v1", "v2", "v3", "added"}
    finally:
        server.stop()
        frozen.close()
        killed.close()
