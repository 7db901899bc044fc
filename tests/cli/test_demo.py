"""`sounding demo --no-serve`: built, registered, scanned, curated; a re-run changes nothing."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sounding.cli.app import app


@pytest.mark.slow
def test_demo_builds_and_scans_a_realistic_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOUNDING_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOUNDING_SECRET_KEY", raising=False)
    home = tmp_path / "demo"
    monkeypatch.setenv("SOUNDING_HOME", str(tmp_path / "default-home"))  # as ~/.sounding
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--home", str(home), "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Admin API token: snd_" in first.stdout
    assert "failures 0" in first.stdout
    empty = runner.invoke(app, ["assets", "list"])  # "in another terminal", before the export
    assert "No assets match in the store" in empty.stdout and "SOUNDING_HOME" in empty.stdout
    # the line the demo prints points the CLI at the demo's store
    (line,) = [x for x in first.stdout.splitlines() if "export SOUNDING_HOME=" in x]
    assignment = shlex.split(line.split("export ", 1)[1])[0]
    monkeypatch.setenv("SOUNDING_HOME", assignment.removeprefix("SOUNDING_HOME="))

    def listing(*args: str) -> dict[str, object]:
        result = runner.invoke(app, ["assets", "list", "--json", "--limit", "1000", *args])
        assert result.exit_code == 0, result.output
        data: dict[str, object] = json.loads(result.stdout)
        return data

    tables = listing("--source", "warehouse", "--type", "table")
    views = listing("--source", "warehouse", "--type", "view")
    assert tables["total"] >= 15 and views["total"] >= 8  # type: ignore[operator]
    datasets = listing("--source", "lake", "--type", "dataset")["items"]
    formats = {d["properties"]["format"] for d in datasets}  # type: ignore[index, union-attr]
    assert {"csv", "parquet"} <= formats
    assert any(d["properties"].get("files", 1) > 1 for d in datasets)  # type: ignore[index, union-attr]
    owners = {t["name"]: t["owner"] for t in tables["items"]}  # type: ignore[index, union-attr]
    assert [name for name, owner in owners.items() if not owner] == ["raw_loyalty_members"]
    view = json.loads(
        runner.invoke(
            app, ["assets", "show", "urn:sounding:warehouse:main.mart_daily_revenue", "--json"]
        ).stdout
    )
    assert "GROUP BY" in view["view_sql"].upper() and view["columns"]

    labels = json.loads(
        runner.invoke(
            app, ["classifications", "list", "--label", "PCI.CardNumber", "--json"]
        ).stdout
    )
    assert "raw_payment_methods" in {i["qualified_name"].split(".")[1] for i in labels["items"]}
    profile = json.loads(
        runner.invoke(app, ["profile", "urn:sounding:warehouse:main.raw_orders", "--json"]).stdout
    )
    assert profile["policy"]["kind"] == "percent" and profile["profile"]["columns"]
    again = runner.invoke(app, ["demo", "--home", str(home), "--no-serve"])
    assert again.exit_code == 0, again.output
    assert again.stdout.count("created 0, updated 0, schema changes 0, deleted 0") == 2
