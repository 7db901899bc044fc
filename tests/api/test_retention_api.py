"""Retention through a real ``sounding serve``: the admin API's dry run and prune, what the
execution history answers afterwards, and the periodic prune of a server with a short interval."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from sounding.store import migrations
from sounding.testing.history import HistoryBatch, fill_history
from sounding.testing.server import ServerProcess

pytestmark = pytest.mark.slow


def _home_with_history(home: Path) -> None:
    """A store with 5 executions finished 400 days ago, 2 finished yesterday and one that has
    been running for 400 days."""
    home.mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{home / 'sounding.db'}")
    migrations.upgrade(engine)
    now = datetime.now(UTC)
    fill_history(
        engine,
        [
            HistoryBatch("old-", 5, 3, now - timedelta(days=400)),
            HistoryBatch("new-", 2, 3, now - timedelta(days=1)),
            HistoryBatch("run-", 1, 3, now - timedelta(days=400), status="running"),
        ],
    )
    engine.dispose()


def _ids(client: httpx.Client) -> set[str]:
    answer = client.get("/api/v1/executions", params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return {e["id"][:4] for e in answer.json()["items"]}


def _rows(report: dict[str, object]) -> dict[str, dict[str, int]]:
    kinds = report["kinds"]
    assert isinstance(kinds, list)
    return {k["kind"]: {t["table"]: t["rows"] for t in k["tables"]} for k in kinds}


def test_admin_api_dry_run_then_prune(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _home_with_history(home)
    server = ServerProcess(home, env={"SOUNDING_RETENTION_INTERVAL": "off"})
    server.env.pop("SOUNDING_DATABASE_URL", None)
    server.start(timeout=90)
    with ExitStack() as stack:
        stack.callback(server.stop)
        admin = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        stack.enter_context(admin)
        state = admin.get("/api/v1/admin/retention").json()
        assert state["interval_seconds"] is None and state["last"] is None
        assert {k["kind"]: k["retention"] for k in state["kinds"]}["executions"] == "180d"
        assert _ids(admin) == {"old-", "new-", "run-"}
        old = next(
            e["id"]
            for e in admin.get("/api/v1/executions", params={"limit": 100}).json()["items"]
            if e["id"].startswith("old-")
        )

        dry = admin.post("/api/v1/admin/retention/prune")  # dry run unless told otherwise
        assert dry.status_code == 200, dry.text
        assert dry.json()["dry_run"] is True
        assert _rows(dry.json())["executions"]["executions"] == 5
        assert _rows(dry.json())["attempts"]["task_attempts"] == 15
        assert _ids(admin) == {"old-", "new-", "run-"}  # nothing went

        done = admin.post("/api/v1/admin/retention/prune", params={"dry_run": "false"})
        assert done.status_code == 200, done.text
        assert _rows(done.json()) == {**_rows(dry.json())}
        assert done.json()["store_bytes"] > 0
        assert _ids(admin) == {"new-", "run-"}
        assert admin.get(f"/api/v1/executions/{old}").status_code == 404
        kept = admin.get("/api/v1/executions", params={"limit": 100}).json()["items"]
        # the history of the kept ones still answers, steps and all ("run-" was resumed by
        # the server at start and failed: its workflow names no real step)
        for e in [e for e in kept if e["id"].startswith("new-")]:
            page = admin.get(f"/api/v1/executions/{e['id']}")
            assert page.status_code == 200, page.text
            assert page.json()["steps"][0]["tasks_total"] == 3, page.json()

        again = admin.post("/api/v1/admin/retention/prune", params={"dry_run": "false"})
        assert all(n == 0 for kind in _rows(again.json()).values() for n in kind.values())
        assert admin.get("/api/v1/admin/retention").json()["last"]["dry_run"] is False
        bad = admin.post("/api/v1/admin/retention/prune", params={"dry_run": "maybe"})
        assert bad.status_code == 422

        made = admin.post("/api/v1/users", json={"name": "rita", "role": "viewer"})
        assert made.status_code == 201, made.text
        token = admin.post("/api/v1/users/rita/tokens", json={}).json()["token"]
        reader = httpx.Client(
            base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        stack.enter_context(reader)
        assert reader.get("/api/v1/admin/retention").status_code == 403
        assert reader.post("/api/v1/admin/retention/prune").status_code == 403


def test_the_server_prunes_periodically(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _home_with_history(home)
    # the server's INFO lines show at DEBUG only (a CLI process logs warnings by default)
    env = {"SOUNDING_RETENTION_INTERVAL": "2s", "SOUNDING_LOG_LEVEL": "DEBUG"}
    server = ServerProcess(home, env=env)
    server.env.pop("SOUNDING_DATABASE_URL", None)
    server.start(timeout=90)
    with ExitStack() as stack:
        stack.callback(server.stop)
        admin = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        stack.enter_context(admin)
        assert admin.get("/api/v1/admin/retention").json()["interval_seconds"] == 2
        deadline = time.monotonic() + 60  # a loaded machine
        last = None
        while time.monotonic() < deadline and last is None:
            time.sleep(0.2)
            last = admin.get("/api/v1/admin/retention").json()["last"]
        assert last is not None, "no periodic prune within 60 s"
        assert last["dry_run"] is False
        # on a loaded machine a second prune (2 s later, deleting nothing) may already be the
        # last one: what the first deleted is in the audit log, one entry per deleting prune
        entries = admin.get("/api/v1/audit", params={"action": "retention.prune"}).json()
        deleted = [e["details"]["deleted"] for e in entries["items"]]
        assert [d["executions"]["executions"] for d in deleted] == [5], deleted
        assert _ids(admin) == {"new-", "run-"}
        assert any("Retention deleted" in line for line in server.output)
