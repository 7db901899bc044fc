"""`sounding assets create|update|delete` and `sounding catalog export|import`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.factories import sqlite_source

Cli = Callable[..., Result]
SHOP = "urn:sounding:shop:main"


def _shop(cli: Cli, tmp_path: Path) -> None:
    assert cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db")).exit_code == 0
    assert cli("scan", "shop").exit_code == 0


def test_manual_assets_and_bulk_update_from_the_cli(cli: Cli, tmp_path: Path) -> None:
    _shop(cli, tmp_path)
    made = cli(
        "assets",
        "create",
        "ml_model",
        "churn",
        "--source",
        "ml",
        "--property",
        "version=3",
        "--upstream",
        f"{SHOP}.customers",
        "--json",
    )
    assert made.exit_code == 0, made.output
    model = json.loads(made.output)
    assert model["urn"] == "urn:sounding:ml:ml_model.churn"
    assert model["properties"] == {"version": 3}
    refused = cli("assets", "create", "cube", "x", "--source", "ml")
    assert refused.exit_code == 2 and "ml_model" in refused.output
    # a dry run shows the change and writes nothing
    dry = cli(
        "assets",
        "update",
        "--filter",
        "source=shop",
        "--filter",
        "type=table",
        "--set",
        "owner=ann",
        "--set",
        "custom_properties.tier=gold",
        "--add-tag",
        "pii",
        "--dry-run",
    )
    assert dry.exit_code == 0, dry.output
    assert "owner: None -> 'ann'" in dry.output and "would change 2" in dry.output
    shown = json.loads(cli("assets", "show", f"{SHOP}.orders", "--json").output)
    assert shown["owner"] is None
    bad = cli("assets", "update", "--filter", "source=shop", "--set", "criticality=huge")
    assert bad.exit_code == 2 and "criticality" in bad.output
    done = cli(
        "assets",
        "update",
        "--filter",
        "source=shop",
        "--filter",
        "type=table",
        "--set",
        "owner=ann",
        "--add-tag",
        "pii",
    )
    assert done.exit_code == 0 and "changed 2" in done.output
    one = cli("assets", "update", f"{SHOP}.orders", "--set", "owner=", "--json")
    assert json.loads(one.output)["items"][0]["after"] == {"owner": None}
    assert json.loads(cli("assets", "show", f"{SHOP}.orders", "--json").output)["owner"] is None
    scanned = cli("assets", "delete", f"{SHOP}.orders")
    assert scanned.exit_code == 1 and "scan owns it" in scanned.output
    gone = cli("assets", "delete", model["urn"])
    assert gone.exit_code == 0 and model["urn"] in gone.output


def test_catalog_export_import_from_the_cli(cli: Cli, tmp_path: Path) -> None:
    _shop(cli, tmp_path)
    cli("assets", "update", f"{SHOP}.orders", "--set", "owner=ann", "--add-tag", "t1")
    cli("assets", "create", "dashboard", "Board", "--source", "bi", "--upstream", f"{SHOP}.orders")
    out = tmp_path / "catalog.csv"
    assert cli("catalog", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("kind,") and len(lines) == 4  # header, asset, board, edge
    again = cli("catalog", "import", str(out))
    assert again.exit_code == 0 and "3 unchanged" in again.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"kind": "asset", "urn": "' + SHOP + '.orders", "owner": "bob"}\n'
        "not json\n"
        '{"kind": "asset", "urn": "' + SHOP + '.orders", "tags": "x"}\n'
    )
    failed = cli("catalog", "import", str(broken))
    assert failed.exit_code == 2
    assert f"{broken}:2: not JSON" in failed.output and f"{broken}:3: tags" in failed.output
    shown = json.loads(cli("assets", "show", f"{SHOP}.orders", "--json").output)
    assert shown["owner"] == "ann"  # line 1 was fine, but nothing of the file was written
