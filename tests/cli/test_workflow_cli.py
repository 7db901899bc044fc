"""`sounding workflow` and `sounding execution` through Typer's runner and a real server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from sounding.cli.app import app
from tests.factories import sqlite_source

FLOW = """
name: nightly
strategy: sequential
steps:
  - {id: discover, type: discover, config: {source: shop}}
  - {id: lineage, type: lineage, depends_on: discover, config: {source: shop}}
"""


def test_apply_run_and_inspect(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW)
    applied = cli("workflow", "apply", str(flow))
    assert applied.exit_code == 0 and "v1 stored" in applied.stdout
    listed = json.loads(cli("workflow", "list", "--json").stdout)
    assert [w["name"] for w in listed["items"]] == ["nightly"]
    ran = cli("workflow", "run", "nightly", "--json")
    assert ran.exit_code == 0, ran.output
    detail = json.loads(ran.stdout)
    assert detail["status"] == "completed"
    assert [s["status"] for s in detail["steps"]] == ["completed", "completed"]
    shown = cli("execution", "show", detail["id"])
    assert shown.exit_code == 0 and "lineage" in shown.stdout
    history = json.loads(cli("execution", "list", "--json").stdout)
    assert [e["id"] for e in history["items"]] == [detail["id"]]
    followed = cli("workflow", "run", "nightly")
    assert followed.exit_code == 0 and "completed" in followed.stdout


def test_bad_files_and_missing_token(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps:\n  - {id: a, type: nope}\n")
    result = cli("workflow", "apply", str(bad))
    assert result.exit_code == 2 and "steps[0].type" in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    assert cli("workflow", "apply", str(broken)).exit_code == 2
    assert cli("workflow", "run", "ghost").exit_code == 1
    paused = cli("execution", "pause", "abc")
    assert paused.exit_code == 2 and "SOUNDING_API_TOKEN" in paused.stderr


@pytest.mark.slow
def test_control_commands_reach_the_running_server(
    live_server: tuple[str, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, token, home = live_server
    auth = {"Authorization": f"Bearer {token}"}
    httpx.post(
        f"{base}/api/v1/orchestrations",
        headers=auth,
        json={
            "name": "slow",
            "strategy": "sequential",
            "steps": [{"id": "a", "type": "sleep", "config": {"seconds": 0.5, "tasks": 6}}],
        },
    )
    run = httpx.post(f"{base}/api/v1/orchestrations/slow/execute", headers=auth).json()
    monkeypatch.setenv("SOUNDING_HOME", str(home))
    monkeypatch.setenv("SOUNDING_API_URL", base)
    monkeypatch.setenv("SOUNDING_API_TOKEN", token)
    runner = CliRunner()
    paused = runner.invoke(app, ["execution", "pause", run["id"]])
    assert paused.exit_code == 0 and "paused" in paused.stdout, paused.output
    resumed = runner.invoke(app, ["execution", "resume", run["id"]])
    assert resumed.exit_code == 0, resumed.output
    cancelled = runner.invoke(app, ["execution", "cancel", run["id"]])
    assert cancelled.exit_code == 0, cancelled.output
    deadline = time.monotonic() + 20
    status = ""
    while time.monotonic() < deadline and status != "cancelled":
        status = httpx.get(f"{base}/api/v1/executions/{run['id']}", headers=auth).json()["status"]
        time.sleep(0.1)
    assert status == "cancelled"
    missing = runner.invoke(app, ["execution", "pause", "nope"])
    assert missing.exit_code == 1 and "not found" in missing.stderr.lower()
