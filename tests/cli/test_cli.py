"""The CLI through Typer's runner, on a real store in a temporary SOUNDING_HOME."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.factories import sqlite_source


def test_source_scan_and_browse(cli: Any, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "shop.db")
    assert cli("source", "add", "shop", url).exit_code == 0
    listed = json.loads(cli("source", "list", "--json").stdout)
    assert listed["total"] == 1 and listed["items"][0]["kind"] == "sql"
    tested = cli("source", "test", "shop")
    assert tested.exit_code == 0 and "ok" in tested.stdout
    scanned = cli("scan", "shop")
    assert scanned.exit_code == 0, scanned.output
    assert "created" in scanned.stdout and "failures 0" in scanned.stdout
    tables = json.loads(cli("assets", "list", "--type", "table", "--json").stdout)
    assert {t["name"] for t in tables["items"]} == {"customers", "orders"}
    shown = cli("assets", "show", "urn:sounding:shop:main.orders")
    assert shown.exit_code == 0 and "customer_id" in shown.stdout and "created" in shown.stdout
    as_json = json.loads(cli("assets", "show", "urn:sounding:shop:main.orders", "--json").stdout)
    assert [c["name"] for c in as_json["columns"]] == ["id", "customer_id", "amount"]
    again = json.loads(cli("scan", "shop", "--json").stdout)
    assert again["report"]["objects_skipped_unchanged"] == 3 and again["report"]["created"] == 0


def test_users_and_tokens(cli: Any) -> None:
    assert cli("user", "create", "ann", "--role", "steward").exit_code == 0
    out = cli("token", "create", "ann", "--json")
    token = json.loads(out.stdout)["token"]
    assert token.startswith("snd_")
    users = json.loads(cli("user", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in users["items"]] == [("ann", "steward")]
    tokens = json.loads(cli("token", "list", "ann", "--json").stdout)["items"]
    assert tokens[0]["prefix"] == token[:8] and "token_hash" not in tokens[0]
    audit = json.loads(cli("audit", "list", "--json").stdout)["items"]
    assert {a["action"] for a in audit} >= {"user.create", "token.create"}


def test_secret_key_file_is_owner_only(cli: Any, tmp_path: Path) -> None:
    cli("source", "list")
    key = tmp_path / "home" / "secret.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("source", "add", "x", "nope://h"), 2, "No connector accepts"),
        (("source", "add", "bad name", "sqlite:///a.db"), 2, "Invalid source name"),
        (("scan", "missing"), 1, "Source 'missing' not found"),
        (("assets", "list", "--type", "nonsense"), 2, "Unknown asset type"),
        (("assets", "show", "urn:sounding:none:x"), 1, "not found"),
        (("user", "create", "bob", "--role", "emperor"), 2, "Unknown role"),
        (("token", "create", "nobody"), 1, "User 'nobody' not found"),
        # one mapping for every command module (the root group's), not one per command
        (("lineage", "parse"), 2, "No SQL given"),  # standard input is empty
        (("pool", "delete", "nope"), 1, "Pool 'nope' not found"),
        (("execution", "show", "nope"), 1, "not found"),
        (("glossary", "approve", "/Nope"), 1, "not found"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    cli: Any, args: tuple[str, ...], code: int, text: str
) -> None:
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert text in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_duplicate_source_is_exit_1(cli: Any, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "a.db")
    assert cli("source", "add", "a", url).exit_code == 0
    dup = cli("source", "add", "a", url)
    assert dup.exit_code == 1 and "already exists" in dup.stderr


def test_failed_scan_is_exit_1(cli: Any) -> None:
    cli("source", "add", "down", "postgresql://u@127.0.0.1:1/x")
    result = cli("scan", "down")
    assert result.exit_code == 1 and "Failed to connect to source 'down'" in result.stderr


def test_lineage_parse_ingest_and_show(cli: Any, tmp_path: Path) -> None:
    sql = tmp_path / "job.sql"
    sql.write_text("INSERT INTO customers (id, email) SELECT id, 'x' FROM orders;")
    parsed = json.loads(cli("lineage", "parse", str(sql), "--dialect", "sqlite", "--json").stdout)
    assert parsed == {
        "sources": ["orders"],
        "targets": ["customers"],
        "column_lineage": [
            {
                "source_table": "orders",
                "source_column": "id",
                "target_table": "customers",
                "target_column": "id",
                "kind": "copy",
                "confidence": 0.8,
            },  # no schema given
        ],
        "errors": [],
    }
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    cli("scan", "shop")
    ingested = cli("lineage", "ingest", str(sql), "--source", "shop")
    assert ingested.exit_code == 0 and "new" in ingested.stdout
    shown = cli("lineage", "show", "urn:sounding:shop:main.customers", "--upstream")
    assert shown.exit_code == 0, shown.output
    assert "main.orders" in shown.stdout and "upstream" in shown.stdout
    missing = cli("lineage", "parse", str(tmp_path / "nope.sql"))
    assert missing.exit_code == 2 and "Cannot read" in missing.stderr


def test_assets_tag_adds_and_removes_without_touching_other_tags(cli: Any, tmp_path: Path) -> None:
    assert cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db")).exit_code == 0
    assert cli("scan", "shop").exit_code == 0
    orders = "urn:sounding:shop:main.orders"
    first = cli("assets", "tag", orders, "--add", "gold", "--add", "finance")
    assert first.exit_code == 0, first.output
    assert "finance, gold" in first.stdout
    etag = '"{id}.{revision}"'.format(**json.loads(cli("assets", "show", orders, "--json").stdout))
    second = json.loads(
        cli("assets", "tag", orders, "--add", "pii", "--remove", "gold", "--json").stdout
    )
    assert second["tags"] == ["finance", "pii"]
    stale = cli("assets", "tag", orders, "--add", "late", "--if-match", etag)
    assert stale.exit_code == 1 and "changed since you read it" in stale.output
    assert "late" not in cli("assets", "show", orders).stdout
    nothing = cli("assets", "tag", orders)
    assert nothing.exit_code == 2 and "Nothing to do" in nothing.output
