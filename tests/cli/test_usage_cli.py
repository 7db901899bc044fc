"""`sounding usage` and `sounding analytics` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source


def test_usage_and_analytics_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "shop.db")
    assert cli("source", "add", "shop", url).exit_code == 0
    assert cli("scan", "shop").exit_code == 0
    log = tmp_path / "q.sql"
    log.write_text("SELECT * FROM orders;\nSELECT * FROM orders;\nSELECT 1 FROM nowhere;\n")
    ingested = cli("usage", "ingest", "shop", "--file", str(log), "--json")
    assert ingested.exit_code == 0, ingested.output
    body = json.loads(ingested.stdout)
    assert (body["new_calls"], body["assets"], body["unresolved"]) == (3, 1, ["nowhere"])
    again = cli("usage", "ingest", "shop", "--file", str(log))
    assert again.exit_code == 0 and "0 new calls" in again.stdout
    shown = cli("usage", "show", "urn:sounding:shop:main.orders", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["totals"]["query"] == 2
    report = cli("analytics", "catalog", "--json", "--days", "7")
    assert report.exit_code == 0
    data = json.loads(report.stdout)
    assert [u["name"] for u in data["most_used"]] == ["orders"]
    assert data["unused"]["count"] == 2 and data["coverage"]["objects"] == 3
    text = cli("analytics", "catalog")
    assert text.exit_code == 0 and "Unused in 30 days: 2" in text.stdout
    assert "with_quality_rules 0 (0.0%)" in text.stdout
    assert "Quality (mean overall score): n/a; open compliance findings: 0" in text.stdout


def test_usage_errors_exit_with_one_line(cli: Any, tmp_path: Path) -> None:
    assert cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db")).exit_code == 0
    missing = cli("usage", "ingest", "nope")
    assert missing.exit_code == 1 and "Source 'nope' not found" in missing.output
    no_log = cli("usage", "ingest", "shop")
    assert no_log.exit_code == 2 and "keeps no query log" in no_log.output  # asked too much
    bad_file = cli("usage", "ingest", "shop", "--file", str(tmp_path / "none.log"))
    assert bad_file.exit_code == 2 and "Cannot read query log" in bad_file.output
    assert cli("analytics", "catalog", "--days", "0").exit_code == 2
