"""``sounding domains ...`` through Typer's runner on a real store: create, nest, list, show,
assign assets, rename, refused deletes and unknown domains (exit codes and one line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"


def test_domains_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    made = cli("domains", "create", "Finance", "--owner", "ann", "--description", "Money")
    assert made.exit_code == 0 and "Created domain Finance" in made.stdout
    assert cli("domains", "create", "Revenue", "--parent", "finance").exit_code == 0
    taken = cli("domains", "create", "REVENUE")
    assert taken.exit_code == 1 and "exists already" in taken.stderr
    cycle = cli("domains", "update", "Finance", "--parent", "Revenue")
    assert cycle.exit_code == 2 and "cycle" in cycle.stderr

    unknown = cli("domains", "assign", "Revnue", ORDERS)
    assert unknown.exit_code == 2 and "Unknown domain 'Revnue'" in unknown.stderr
    put = cli("domains", "assign", "revenue", ORDERS)
    assert put.exit_code == 0 and "main.orders: Revenue" in put.stdout
    shown = json.loads(cli("domains", "show", "Revenue", "--json").stdout)
    assert shown["path"] == ["Finance"] and [a["urn"] for a in shown["assets"]] == [ORDERS]
    text = cli("domains", "show", "Finance")
    assert "Revenue" in text.stdout and "owners: ann" in text.stdout
    listed = json.loads(cli("domains", "list", "--json").stdout)
    counts = {d["name"]: d["asset_count"] for d in listed["items"]}
    assert counts == {"Finance": 0, "Revenue": 1}

    refused = cli("domains", "delete", "Revenue")
    assert refused.exit_code == 1 and "not empty" in refused.stderr
    assert cli("domains", "update", "Revenue", "--name", "Income", "--parent", "").exit_code == 0
    asset = json.loads(cli("assets", "show", ORDERS, "--json").stdout)
    assert asset["domain"] == "Income"
    assert cli("domains", "update", "Income").exit_code == 2  # nothing to change
    assert cli("domains", "assign", "", ORDERS).exit_code == 0
    assert cli("domains", "delete", "Income").exit_code == 0
    assert cli("domains", "show", "Income").exit_code == 1
    top = json.loads(cli("domains", "list", "--top", "--json").stdout)
    assert [d["name"] for d in top["items"]] == ["Finance"]
