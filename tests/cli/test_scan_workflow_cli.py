"""`sounding scan` is a run of the ad-hoc workflow `scan:NAME`, visible as an execution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.store.repos import view_lineage
from tests.factories import sqlite_source


def test_scan_runs_as_a_workflow_execution(cli: Any, tmp_path: Path) -> None:
    assert cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db")).exit_code == 0
    scanned = cli("scan", "shop", "--profile", "--classify")
    assert scanned.exit_code == 0, scanned.output
    assert "execution" in scanned.stdout and "profiled 3 of 3 objects" in scanned.stdout
    assert "classified 3 objects" in scanned.stdout
    for stage in ("discover", "profile", "classify", "lineage"):
        assert f"{stage} shop" in scanned.stderr  # a progress bar per stage
    as_json = json.loads(cli("scan", "shop", "--json").stdout)
    execution = as_json["execution"]
    assert execution["workflow"] == "scan:shop" and execution["status"] == "completed"
    assert [s["id"] for s in execution["steps"]] == ["discover", "lineage"]  # source defaults
    runs = json.loads(cli("execution", "list", "--json").stdout)["items"]
    assert [(r["workflow"], r["trigger"]) for r in runs] == [("scan:shop", "scan")] * 2
    hidden = json.loads(cli("workflow", "list", "--json").stdout)["items"]
    shown = json.loads(cli("workflow", "list", "--all", "--json").stdout)["items"]
    assert hidden == [] and [w["name"] for w in shown] == ["scan:shop"]
    assert shown[0]["version"] == 2  # the stages changed between the two scans


def test_a_scan_refreshes_view_lineage_once(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``discover`` step only discovers: the ``lineage`` step is the one refresh (each
    refresh reads the stored view states once)."""
    calls: list[str] = []
    original = view_lineage.states

    def counted(conn: Any, prefix: str) -> Any:
        calls.append(prefix)
        return original(conn, prefix)

    monkeypatch.setattr(view_lineage, "states", counted)
    assert cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db")).exit_code == 0
    scanned = json.loads(cli("scan", "shop", "--json").stdout)  # everything new, a view
    assert scanned["report"]["created"] > 0 and calls == ["urn:sounding:shop:"]
    upstream = cli("lineage", "show", "urn:sounding:shop:main.big_orders", "--upstream", "--json")
    assert "urn:sounding:shop:main.orders" in upstream.stdout  # the one refresh traced it


def test_failed_step_fails_the_scan(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    cli("source", "add", "shop", sqlite_source(db), "--profile")
    db.unlink()  # discovery of a vanished SQLite file fails to connect
    result = cli("scan", "shop")
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]  # after the progress bars
    assert last.startswith("error: Scan of 'shop' failed: discover: ConnectionFailedError")


def test_serve_rejects_an_unknown_executor(cli: Any) -> None:
    result = cli("serve", "--executor", "spark")
    assert result.exit_code == 2 and "Unknown executor 'spark'" in result.stderr
    bad = cli("serve", "--dask-scheduler", "tcp://127.0.0.1:1")
    assert bad.exit_code == 2 and "--dask-scheduler needs --executor dask" in bad.stderr
