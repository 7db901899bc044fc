"""``sounding properties ...`` through Typer's runner: defining typed properties, setting
values with ``sounding assets update --set custom_properties.KEY=...`` (a wrong value exits 2
naming the property), listing, and deleting one in use (exit 1 without --force)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"


def test_properties_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    assert "No properties defined" in cli("properties", "list").stdout
    made = cli(
        "properties", "create", "tier", "--type", "enum", "--value", "gold", "--value", "silver",
        "--asset-type", "table", "--description", "How much we care",
    )  # fmt: skip
    assert made.exit_code == 0 and "Defined property tier (enum)" in made.stdout
    assert cli("properties", "create", "tier", "--type", "string").exit_code == 1
    bad = cli("properties", "create", "colour", "--type", "colour")
    assert bad.exit_code == 2 and "Unknown property type 'colour'" in bad.stderr
    assert cli("properties", "create", "runbook", "--type", "url").exit_code == 0

    wrong = cli("assets", "update", ORDERS, "--set", "custom_properties.tier=platinum")
    assert wrong.exit_code == 2 and "Property 'tier' is one of gold, silver" in wrong.stderr
    url = cli("assets", "update", ORDERS, "--set", "custom_properties.runbook=not a url")
    assert url.exit_code == 2 and "'runbook' is an http(s) URL" in url.stderr
    good = cli("assets", "update", ORDERS, "--set", "custom_properties.tier=gold")
    assert good.exit_code == 0, good.stderr

    listed = json.loads(cli("properties", "list", "--json").stdout)
    assert [p["name"] for p in listed["items"]] == ["runbook", "tier"]
    shown = cli("properties", "show", "tier")
    assert "values: gold, silver" in shown.stdout and "held by 1 asset(s)" in shown.stdout
    assert (
        cli("properties", "update", "tier", "--value", "gold", "--value", "bronze").exit_code == 0
    )
    assert cli("properties", "update", "tier").exit_code == 2  # nothing to change

    in_use = cli("properties", "delete", "tier")
    assert in_use.exit_code == 1 and "1 asset(s) hold a value" in in_use.stderr
    forced = cli("properties", "delete", "tier", "--force")
    assert forced.exit_code == 0 and "removed its value from 1 asset(s)" in forced.stdout
    assert cli("properties", "show", "tier").exit_code == 1
