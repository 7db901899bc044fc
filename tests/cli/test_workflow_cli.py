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


def test_failed_runs_say_why_and_apply_lists_every_problem(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "gone", sqlite_source(tmp_path / "gone.db"))
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "name: why\nsteps:\n  - {id: discover, type: discover, config: {source: gone}}\n"
    )
    assert cli("workflow", "apply", str(flow)).exit_code == 0
    assert cli("source", "remove", "gone").exit_code == 0
    ran = cli("workflow", "run", "why", "--no-follow")
    assert ran.exit_code == 1
    assert "discover/*: NotFoundError: Source 'gone' not found" in ran.stdout
    execution_id = json.loads(cli("execution", "list", "--json").stdout)["items"][0]["id"]
    shown = cli("execution", "show", execution_id)
    assert "NotFoundError: Source 'gone' not found" in shown.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nsteps:\n"
        "  - {id: a, type: discover, config: {source: nosuch}}\n"
        "  - {id: b, type: notify}\n"
        "  - {id: c, type: noop, pool: nopool}\n"
        "  - {id: d, type: warp}\n"
    )
    plain = cli("workflow", "apply", str(bad))
    assert plain.exit_code == 2
    for loc in ("steps[0].config.source", "steps[1].config.url", "steps[2].pool", "steps[3].type"):
        assert loc in plain.stderr
    assert "more)" not in plain.stderr
    as_json = cli("workflow", "apply", str(bad), "--json")
    assert as_json.exit_code == 2
    errors = json.loads(as_json.stdout)["error"]["details"]["errors"]
    assert len(errors) == 4


def test_pools_and_pausing_from_the_cli(cli: Any, tmp_path: Path) -> None:
    assert cli("pool", "create", "db", "--slots", "4").exit_code == 0
    assert cli("pool", "create", "db", "--slots", "4").exit_code == 1
    assert cli("pool", "update", "db", "--slots", "2").exit_code == 0
    listed = json.loads(cli("pool", "list", "--json").stdout)["items"]
    assert [(p["name"], p["slots"]) for p in listed] == [("db", 2)]
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "name: pooled\nschedule: '0 3 * * *'\n"
        "steps:\n  - {id: a, type: sleep, pool: db, config: {seconds: 0, tasks: 3}}\n"
    )
    assert cli("workflow", "apply", str(flow)).exit_code == 0
    ran = cli("workflow", "run", "pooled", "--json", "--no-follow")
    assert ran.exit_code == 0 and json.loads(ran.stdout)["steps"][0]["tasks_done"] == 3
    assert cli("pool", "delete", "db").exit_code == 1  # still named by `pooled`
    assert cli("workflow", "disable", "pooled").exit_code == 0
    shown = json.loads(cli("workflow", "list", "--json").stdout)["items"][0]
    assert shown["enabled"] is False
    assert cli("workflow", "enable", "pooled").exit_code == 0
    assert json.loads(cli("workflow", "list", "--json").stdout)["items"][0]["enabled"] is True
    assert cli("workflow", "disable", "nope").exit_code == 1


def test_sources_are_stored_by_absolute_path_and_updated_in_place(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_source(tmp_path / "shop.db")
    (tmp_path / "lake").mkdir()
    monkeypatch.chdir(tmp_path)
    added = cli("source", "add", "shop", "sqlite:///shop.db", "--json")
    assert added.exit_code == 0, added.output
    missing = cli("source", "add", "nope", "sqlite:///nope.db")
    assert missing.exit_code == 2
    assert missing.stderr.strip().count("\n") == 0
    assert f"SQLite file not found: {tmp_path / 'nope.db'}" in missing.stderr
    assert cli("source", "add", "lake", "file://" + str(tmp_path / "gone")).exit_code == 2
    monkeypatch.chdir(tmp_path / "lake")  # scans no longer depend on where they run
    scanned = cli("scan", "shop")
    assert scanned.exit_code == 0, scanned.output
    tables = json.loads(cli("assets", "list", "--json").stdout)["items"]
    assert any(t["name"] == "orders" for t in tables)
    updated = cli(
        "source", "update", "shop", "--include", "orders", "--max-concurrent", "2", "--json"
    )
    assert updated.exit_code == 0, updated.output
    shown = json.loads(updated.stdout)
    assert shown["include"] == "orders" and shown["options"] == {"max_concurrent": 2}
    moved = cli("source", "update", "shop", "--url", "sqlite:///elsewhere.db")
    assert moved.exit_code == 2 and "elsewhere.db" in moved.stderr
    assert cli("source", "update", "shop").exit_code == 2
    assert cli("source", "update", "ghost", "--include", "x").exit_code == 1


def test_a_pattern_that_matches_nothing_is_a_warning(cli: Any, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "shop.db")
    assert cli("source", "add", "shop", url, "--include", "^main\\.ordrs$").exit_code == 0
    scanned = cli("scan", "shop")
    assert scanned.exit_code == 0, scanned.output
    assert "include pattern '^main\\\\.ordrs$' matched none of the" in scanned.stdout
    assert "main.orders" in scanned.stdout
    cli("source", "update", "shop", "--include", "", "--exclude", "zzz_nothing")
    again = cli("scan", "shop")
    assert "exclude pattern 'zzz_nothing' matched none of the" in again.stdout
