"""``sounding products ...`` through Typer's runner on a real store: create with ports,
publish, a new version on a port change, refused moves and deletes, health in the output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def test_products_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    made = cli(
        "products", "create", "Orders 360", "--input", U + "customers",
        "--output", U + "orders", "--sla", "daily", "--freshness-hours", "24",
    )  # fmt: skip
    assert made.exit_code == 0 and "draft, v1" in made.stdout
    bad = cli("products", "create", "X", "--output", U + "nope")
    assert bad.exit_code == 2 and "no asset" in bad.stderr
    assert cli("products", "create", "Y", "--freshness-hours", "0").exit_code == 2
    assert cli("products", "update", "Orders 360", "--status", "published").exit_code == 0
    grown = cli("products", "update", "Orders 360", "--output", U + "orders",
                "--output", U + "big_orders")  # fmt: skip
    assert grown.exit_code == 0 and "(published, v2)" in grown.stdout
    shown = json.loads(cli("products", "show", "Orders 360", "--json").stdout)
    assert [p["urn"] for p in shown["outputs"]] == [U + "big_orders", U + "orders"]
    assert shown["health"]["status"] == "unknown"
    text = cli("products", "show", "Orders 360").stdout
    assert "sla: daily; fresh within 24 h" in text and "health: unknown" in text
    back = cli("products", "update", "Orders 360", "--status", "draft")
    assert back.exit_code == 1 and "cannot become draft" in back.stderr
    refused = cli("products", "delete", "Orders 360")
    assert refused.exit_code == 1 and "deprecate it first" in refused.stderr
    assert cli("products", "update", "Orders 360", "--status", "deprecated").exit_code == 0
    assert cli("products", "delete", "Orders 360").exit_code == 0
    listed = json.loads(cli("products", "list", "--json").stdout)
    assert listed["total"] == 0
