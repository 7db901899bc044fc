"""`sounding template` and `sounding insights` through Typer's runner."""

from __future__ import annotations

import json
from typing import Any


def test_templates_from_the_command_line(cli: Any) -> None:
    listed = cli("template", "list")
    assert listed.exit_code == 0 and "compliance-scan" in listed.stdout
    shown = cli("template", "show", "custom")
    assert shown.exit_code == 0 and "callable" in shown.stdout
    bad = cli("template", "instantiate", "custom", "--param", "name=x")
    assert bad.exit_code == 2 and "callable" in bad.output
    made = cli(
        "template",
        "instantiate",
        "custom",
        "--param",
        "name=shout",
        "--param",
        "callable=tests.orchestration.helpers:shout",
        "--param",
        'tasks=["a", "b"]',
    )
    assert made.exit_code == 0, made.output
    assert "Workflow shout v1 stored from template custom" in made.stdout
    assert cli("template", "show", "nope").exit_code == 1


def test_insights_from_the_command_line(cli: Any) -> None:
    cli(
        "template",
        "instantiate",
        "custom",
        "--param",
        "name=shout",
        "--param",
        "callable=tests.orchestration.helpers:shout",
        "--param",
        "tasks=3",
    )
    for _ in range(3):
        assert cli("workflow", "run", "shout", "--no-follow").exit_code == 0
    forecast = json.loads(cli("insights", "forecast", "--workflow", "shout", "--json").stdout)
    assert forecast["items"][0]["execution"]["runs"] == 3
    table = cli("insights", "forecast")
    assert table.exit_code == 0 and "shout" in table.stdout
    stats = json.loads(cli("insights", "analytics", "--days", "2", "--json").stdout)
    assert stats["overall"]["executions"] == 3 and stats["overall"]["success_rate"] == 1.0
    assert cli("insights", "analytics").exit_code == 0
    assert cli("insights", "anomalies").exit_code == 0
    recs = json.loads(cli("insights", "recommendations", "--json").stdout)
    assert recs == {"items": [], "total": 0, "applied": []}
    missing = cli("insights", "apply", "nope")
    assert missing.exit_code == 1 and "No current recommendation" in missing.output
    assert cli("insights", "rollback", "nope").exit_code == 1
