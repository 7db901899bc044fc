"""Two `sounding serve` processes on one PostgreSQL store share the executions: kill -9 the
server that owns a running execution and the other takes it over within 10 s (its lease
lapsed), finishing it with every task's result stored exactly once; a paused execution is
taken over paused and stays paused. A pause sent to the server that does not own the
execution reaches its owner, and that server's event stream shows what the owner stored."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.testing.server import ServerProcess
from tests.conftest import _server_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TASKS = 500
FANOUT = {
    "name": "fanout",
    "limits": {"max_concurrent": 8},
    "steps": [
        {"id": "work", "type": "sleep", "config": {"seconds": 0.04, "tasks": TASKS}},
        {"id": "after", "type": "noop", "depends_on": "work"},
    ],
}
HELD_TASKS = 20
HELD = {
    "name": "held",
    "limits": {"max_concurrent": 2},
    "steps": [{"id": "work", "type": "sleep", "config": {"seconds": 0.3, "tasks": HELD_TASKS}}],
}
TAKEOVER_LIMIT = 10.0  # seconds from the kill until the other server owns the execution


@pytest.fixture
def failover_db() -> Iterator[str]:
    """A fresh PostgreSQL database ``failover_<hex>`` on the test server, dropped after."""
    server_url = _server_url("SOUNDING_TEST_POSTGRES_URL")
    name = f"failover_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def _rows(store: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with store.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def _completed(store: sa.Engine, execution_id: str) -> Counter[tuple[str, str]]:
    rows = _rows(
        store,
        "SELECT step_id, task_key FROM task_attempts "
        "WHERE execution_id = :e AND status = 'completed'",
        e=execution_id,
    )
    return Counter((r.step_id, r.task_key) for r in rows)


def _status(store: sa.Engine, execution_id: str) -> str:
    return str(_rows(store, "SELECT status FROM executions WHERE id = :e", e=execution_id)[0][0])


def _lease(store: sa.Engine, execution_id: str) -> Any:
    return _rows(store, "SELECT * FROM execution_leases WHERE execution_id = :e", e=execution_id)[0]


def _server_id(store: sa.Engine, server: ServerProcess) -> str:
    assert server.proc is not None
    pid = server.proc.pid
    return str(_rows(store, "SELECT id FROM orchestration_servers WHERE pid = :p", p=pid)[0][0])


def _follow(url: str, headers: dict[str, str]) -> list[tuple[str, str | None]]:
    """Read a server-sent event stream in a thread: (kind, status) of each event, as they
    come."""
    seen: list[tuple[str, str | None]] = []

    def read() -> None:
        timeout = httpx.Timeout(10.0, read=60.0)  # keep-alives come every 15 s
        with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                    seen.append((data["kind"], data["status"]))

    threading.Thread(target=read, name="sse-follow", daemon=True).start()
    return seen


def _wait(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_of_the_owner_the_other_server_takes_over(failover_db: str, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()  # one store, one key for its secrets
    env = {"SOUNDING_DATABASE_URL": failover_db, "SOUNDING_SECRET_KEY": key}
    a = ServerProcess(tmp_path / "a", env=env)
    b = ServerProcess(tmp_path / "b", env=env)
    store = sa.create_engine(failover_db)
    api = httpx.Client(timeout=60)
    try:
        a.start(timeout=120)  # a fresh store: the migrations run first
        b.token = a.token  # one store, one bootstrap admin: B prints no token of its own
        b.start(timeout=120)
        api.headers.update(a.headers)
        for flow in (FANOUT, HELD):
            assert api.post(f"{a.base}/api/v1/orchestrations", json=flow).status_code == 201
        a_id, b_id = _server_id(store, a), _server_id(store, b)

        # an execution A runs, paused through B (which does not own it): the request reaches A
        held = api.post(f"{a.base}/api/v1/orchestrations/held/execute").json()["id"]
        _wait("held to run", lambda: _status(store, held) == "running", 20)
        seen = _follow(f"{b.base}/api/v1/executions/{held}/events", a.headers)
        paused = api.post(f"{b.base}/api/v1/executions/{held}/pause")
        assert paused.status_code == 200, paused.text
        assert paused.json()["status"] == "paused"
        assert _lease(store, held).owner_id == a_id and _lease(store, held).request is None
        # B's event stream of an execution A runs shows what A stored (read from the store)
        _wait("B's stream to show the pause", lambda: ("execution_status", "paused") in seen, 10)

        run = api.post(f"{a.base}/api/v1/orchestrations/fanout/execute").json()["id"]
        assert _lease(store, run).owner_id == a_id
        _wait("a fifth of the tasks", lambda: sum(_completed(store, run).values()) >= 100, 60)
        killed_at = datetime.now(UTC)
        a.kill()
        before = set(_completed(store, run))
        assert len(before) < TASKS, "the execution ended before the kill: make it longer"

        _wait("the takeover", lambda: _lease(store, run).owner_id == b_id, 30)
        _wait("the execution to finish", lambda: _status(store, run) != "running", 60)
        assert _status(store, run) == "completed"
        lease = _lease(store, run)
        took = (lease.acquired_at - killed_at).total_seconds()
        print(f"takeover {took:.2f} s after the kill")
        assert took <= TAKEOVER_LIMIT, f"takeover {took:.1f} s after the kill"
        assert lease.previous_owner_id == a_id and lease.takeovers == 1

        completed = _completed(store, run)
        assert len([k for k in completed if k[0] == "work"]) == TASKS  # none lost
        assert completed[("after", "*")] == 1
        assert max(completed.values()) == 1  # none run to completion twice
        assert before <= set(completed)  # what completed before the kill never ran again

        # the paused execution: taken over by B, still paused, nothing started since
        _wait("held's takeover", lambda: _lease(store, held).owner_id == b_id, 15)
        assert _status(store, held) == "paused"
        time.sleep(1.0)
        started_after = _rows(
            store,
            "SELECT count(*) FROM task_attempts WHERE execution_id = :e AND started_at > :t",
            e=held, t=_lease(store, held).acquired_at,
        )[0][0]  # fmt: skip
        assert started_after == 0 and _status(store, held) == "paused"
        resumed = api.post(f"{b.base}/api/v1/executions/{held}/resume")
        assert resumed.status_code == 200, resumed.text
        _wait("held to finish", lambda: _status(store, held) != "running", 60)
        assert _status(store, held) == "completed"
        done = _completed(store, held)
        assert len(done) == HELD_TASKS and max(done.values()) == 1
    except BaseException:
        for name, server in (("A", a), ("B", b)):
            print(f"--- server {name} ---\n" + "".join(list(server.output)[-60:]))
        raise
    finally:
        api.close()
        store.dispose()
        a.stop()
        b.stop()
