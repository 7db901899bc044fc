"""Workflows name Python callables only from the allow-list; a task's exception of any kind,
or a task that kills its process, never wedges the server (through a real `sounding serve`)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerExitedError, ServerProcess

ALLOWED = "tests.api.usercode_tasks"
API = "/api/v1"


def custom(name: str, callable_: str, **config: Any) -> dict[str, Any]:
    step = {"id": "run", "type": "custom", "config": {"callable": callable_, **config}}
    return {"name": name, "steps": [step]}


def install_plugin(where: Path) -> str:
    """A distribution whose ``sounding.step_types`` entry point is ``tests.api.usercode_plugin``,
    as ``pip install`` would leave it; returns a PYTHONPATH that finds it."""
    info = where / "sounding_usercode_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sounding-usercode-plugin\n")
    (info / "entry_points.txt").write_text(
        "[sounding.step_types]\nusercode = tests.api.usercode_plugin\n"
    )
    return os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(where)) if p)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base = tmp_path_factory.mktemp("usercode")
    env = {"SOUNDING_ALLOWED_CALLABLE_MODULES": ALLOWED, "PYTHONPATH": install_plugin(base)}
    proc = ServerProcess(base / "home", env=env)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def post(server: ServerProcess, path: str, body: Any = None) -> httpx.Response:
    return httpx.post(f"{server.base}{API}{path}", headers=server.headers, json=body, timeout=30)


def get(server: ServerProcess, path: str) -> httpx.Response:
    return httpx.get(f"{server.base}{API}{path}", headers=server.headers, timeout=30)


def run_to_end(server: ServerProcess, name: str, timeout: float = 30) -> dict[str, Any]:
    started = post(server, f"/orchestrations/{name}/execute")
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = get(server, f"/executions/{started.json()['id']}").json()
        if found["status"] in ("completed", "failed", "cancelled"):
            return dict(found)
        time.sleep(0.05)
    raise AssertionError(f"execution of {name} did not end in {timeout} s")


def events(server: ServerProcess, execution_id: str) -> list[dict[str, Any]]:
    """The stored events of an ended execution (the stream closes at its final event)."""
    text = httpx.get(
        f"{server.base}{API}/executions/{execution_id}/events",
        headers=server.headers,
        timeout=30,
    ).text
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


@pytest.mark.parametrize(
    "step",
    [
        {"id": "run", "type": "custom", "config": {"callable": "sys:exit"}},
        {"id": "run", "type": "custom", "config": {"plan": "os:system"}},
        {"id": "run", "type": "noop", "skip_if": [{"callable": "builtins:exec"}]},
    ],
)
def test_a_callable_outside_the_allow_list_is_422_at_apply(
    server: ServerProcess, step: dict[str, Any]
) -> None:
    answer = post(server, "/orchestrations", {"name": "evil", "steps": [step]})
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert "is not allowed; allowed: usercode:echo, usercode:leave, tests.api.usercode_tasks:*" in (
        message
    )
    assert get(server, "/orchestrations/evil").status_code == 404  # nothing stored


def test_a_re_exported_callable_is_refused_when_the_workflow_runs(server: ServerProcess) -> None:
    """``module:os`` passes the name check (the module is allowed) but is not code of the
    module: resolving it at run time fails the step, and nothing of ``os`` runs."""
    assert post(server, "/orchestrations", custom("reexport", f"{ALLOWED}:os")).status_code == 201
    ended = run_to_end(server, "reexport")
    assert ended["status"] == "failed"
    assert "is not a function defined in an allowed module" in ended["steps"][0]["reason"]


def test_the_custom_template_refuses_a_free_callable(server: ServerProcess) -> None:
    answer = post(
        server, "/templates/custom/instantiate", {"params": {"name": "t", "callable": "sys:exit"}}
    )
    assert answer.status_code == 422, answer.text
    assert "'sys:exit' is not allowed" in answer.json()["error"]["message"]


def test_a_callable_of_an_allowed_module_runs(server: ServerProcess) -> None:
    applied = post(server, "/orchestrations", custom("echo", f"{ALLOWED}:echo", tasks=["a", "b"]))
    assert applied.status_code == 201, applied.text
    ended = run_to_end(server, "echo")
    assert ended["status"] == "completed"
    assert ended["steps"][0]["tasks_done"] == 2


def test_a_function_a_plugin_registered_runs_by_its_name(server: ServerProcess) -> None:
    applied = post(server, "/orchestrations", custom("plugged", "usercode:echo"))
    assert applied.status_code == 201, applied.text
    assert run_to_end(server, "plugged")["status"] == "completed"
    refused = post(server, "/orchestrations", custom("unplugged", "usercode:other"))
    assert refused.status_code == 422
    assert "'usercode:other' is not allowed" in refused.json()["error"]["message"]


@pytest.mark.parametrize("fn", [f"{ALLOWED}:leave", f"{ALLOWED}:interrupt", "usercode:leave"])
def test_system_exit_in_a_task_fails_that_task_only(server: ServerProcess, fn: str) -> None:
    fn_name = fn.rpartition(":")[2]
    flow = custom(f"bye-{fn_name}", fn)
    flow["steps"].append(
        {"id": "after", "type": "noop", "run_if": "on_failure", "depends_on": "run"}
    )
    assert post(server, "/orchestrations", flow).status_code == 201
    ended = run_to_end(server, f"bye-{fn_name}")
    assert ended["status"] == "failed"
    steps = {s["id"]: s for s in ended["steps"]}
    assert steps["run"]["status"] == "failed" and steps["run"]["tasks_failed"] == 1
    assert steps["after"]["status"] == "completed"  # the engine went on after the task
    failed = [e for e in events(server, ended["id"]) if e["kind"] == "task_failed"]
    assert len(failed) == 1  # a task raising SystemExit is not retried
    exc = "SystemExit: 3" if fn_name == "leave" else "KeyboardInterrupt"
    assert f"the task raised {exc}" in failed[0]["data"]["error"]
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    assert post(server, "/orchestrations", custom(f"then-{fn_name}", "usercode:echo")).is_success
    assert run_to_end(server, f"then-{fn_name}")["status"] == "completed"  # the engine runs on


@pytest.mark.slow
def test_a_task_that_keeps_killing_the_server_is_quarantined(tmp_path: Path) -> None:
    env = {"SOUNDING_ALLOWED_CALLABLE_MODULES": ALLOWED, "SOUNDING_TASK_MAX_CRASHES": "2"}
    server = ServerProcess(tmp_path / "home", env=env)
    server.start()
    try:
        assert post(
            server, "/orchestrations", custom("crash", f"{ALLOWED}:kill_process")
        ).is_success
        run = post(server, "/orchestrations/crash/execute").json()
        assert server.proc is not None and server.proc.wait(timeout=30) == 17
        server._close()
        # the restart resumes the task, which kills the server again (crash 2 of 2) ...
        with pytest.raises(ServerExitedError):
            server.start()
        server._close()
        # ... so the next start quarantines it instead of running it a third time
        server.start()
        ended = get(server, f"/executions/{run['id']}").json()
        assert ended["status"] == "failed"
        assert (
            "quarantined: the process running this task died 2 times"
            in (ended["steps"][0]["reason"])
        )
        assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
        assert server.proc is not None and server.proc.poll() is None
    finally:
        server.stop()


def test_sigterm_stops_the_server_while_a_task_is_blocked(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", env={"SOUNDING_ALLOWED_CALLABLE_MODULES": ALLOWED})
    server.start()
    try:
        assert post(server, "/orchestrations", custom("stuck", f"{ALLOWED}:block")).is_success
        run = post(server, "/orchestrations/stuck/execute").json()
        deadline = time.monotonic() + 10
        while get(server, f"/executions/{run['id']}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert server.proc is not None
        began = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=15)
        took = time.monotonic() - began
        assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once stopped
        assert took < 8, f"SIGTERM took {took:.1f} s"
        # recorded as stopped by a clean shutdown: it runs again, and is no crash of its task
        with closing(sqlite3.connect(server.home / "sounding.db")) as db:
            rows = db.execute("SELECT status, error_type, final FROM task_attempts").fetchall()
        assert rows == [("cancelled", "Stopped", 0)]
    finally:
        server.stop()
