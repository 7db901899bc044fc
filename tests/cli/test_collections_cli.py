"""``sounding collections ...`` through Typer's runner on a real store: create, add several
URNs (all or none), show in order, share with users and everyone, act for a user with
``--as``, remove and delete; bad input exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def test_collections_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    made = cli("collections", "create", "Review", "--as", "ann", "--json")
    assert made.exit_code == 0, made.stderr
    cid = str(json.loads(made.stdout)["id"])
    assert json.loads(made.stdout)["owner"] == "ann"

    added = cli("collections", "add", cid, U + "orders", U + "customers", "--as", "ann",
                "--note", "Q3")  # fmt: skip
    assert added.exit_code == 0 and "Added 2 to Review; it holds 2" in added.stdout
    bad = cli("collections", "add", cid, U + "big_orders", U + "nope", "--as", "ann")
    assert bad.exit_code == 2 and "nope" in bad.stderr and "nothing was added" in bad.stderr
    again = cli("collections", "add", cid, U + "orders", "--as", "ann")
    assert "Added 0 to Review (1 already in it)" in again.stdout

    shown = json.loads(cli("collections", "show", cid, "--as", "ann", "--json").stdout)
    assert [i["urn"] for i in shown["items"]] == [U + "orders", U + "customers"]
    assert shown["items"][0]["note"] == "Q3" and shown["items"][0]["removed"] is False
    text = cli("collections", "show", cid, "--as", "ann").stdout
    assert "Review" in text and "orders" in text and "shop" in text

    # bob does not see ann's private collection; once shared with him he does
    assert json.loads(cli("collections", "list", "--as", "bob", "--json").stdout)["total"] == 0
    shared = cli("collections", "share", cid, "--user", "bob", "--user", "cat", "--as", "ann")
    assert shared.exit_code == 0 and "users: bob, cat" in shared.stdout
    listed = json.loads(cli("collections", "list", "--as", "bob", "--json").stdout)
    assert [c["name"] for c in listed["items"]] == ["Review"]
    assert cli("collections", "share", cid, "--everyone", "--as", "ann").exit_code == 0
    assert "shared" in cli("collections", "list", "--as", "dan").stdout
    both = cli("collections", "share", cid, "--everyone", "--private")
    assert both.exit_code == 2 and "one of" in both.stderr

    removed = cli("collections", "remove", cid, U + "orders", "--as", "ann")
    assert removed.exit_code == 0 and "Removed 1 from Review" in removed.stdout
    assert cli("collections", "create", "review", "--as", "ann").exit_code == 1  # taken
    assert cli("collections", "create", "x" * 201).exit_code == 2
    assert cli("collections", "show", "0").exit_code == 2
    assert cli("collections", "show", "999").exit_code == 1
    assert cli("collections", "delete", cid).exit_code == 0  # the operator may
    assert json.loads(cli("collections", "list", "--as", "ann", "--json").stdout)["total"] == 0
