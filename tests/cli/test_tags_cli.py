"""``sounding tags ...`` through Typer's runner: a group with tags, applying them to an asset
(an unknown one exits 2), changing and deleting the group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"


def test_tag_groups_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    made = cli("tags", "create", "tier", "--tag", "gold=Top tier", "--tag", "silver")
    assert made.exit_code == 0 and "tier.gold, tier.silver" in made.stdout
    assert cli("tags", "create", "tier").exit_code == 1
    assert cli("tags", "create", "a.b").exit_code == 2
    unknown = cli("assets", "tag", ORDERS, "--add", "tier.platinum")
    assert unknown.exit_code == 2 and "Unknown tag 'tier.platinum'" in unknown.stderr
    assert cli("assets", "tag", ORDERS, "--add", "tier.gold", "--add", "free").exit_code == 0
    shown = json.loads(cli("tags", "show", "tier", "--json").stdout)
    assert shown["tags"][0] == {"name": "gold", "tag": "tier.gold", "description": "Top tier"}
    assert shown["apply_roles"] == ["admin", "steward"]
    done = cli("tags", "update", "tier", "--tag", "bronze", "--remove", "silver")
    assert done.exit_code == 0 and "tier.bronze, tier.gold" in done.stdout
    assert "tier" in cli("tags", "list").stdout
    assert cli("tags", "delete", "tier").exit_code == 0
    assert cli("assets", "tag", ORDERS, "--add", "tier.platinum").exit_code == 0  # free again
