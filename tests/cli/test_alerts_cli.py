"""``sounding subscribe``, ``sounding subscriptions`` and ``sounding inbox`` through Typer's
runner on a real store: subscribe for a user, the dispatcher fills their inbox from a scan's
events, list, mark read, delete; bad input exits non-zero with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sounding.cli.state import open_context
from sounding.features.alerts.dispatcher import drain
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def test_alerts_from_the_command_line(cli: Any, tmp_path: Path) -> None:
    cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db"))
    assert cli("scan", "shop").exit_code == 0
    made = cli("subscribe", "source", "shop", "--events", "sensitive_label", "--as", "ann")
    assert made.exit_code == 0, made.stderr
    assert "Subscribed to source shop" in made.stdout
    listed = json.loads(cli("subscriptions", "list", "--as", "ann", "--json").stdout)
    assert [(s["target_kind"], s["events"]) for s in listed["items"]] == [
        ("source", ["sensitive_label"])
    ]
    assert cli("inbox", "--as", "ann").stdout.strip() == "No notifications."

    assert cli("scan", "shop", "--classify").exit_code == 0
    with open_context() as ctx:
        drain(ctx)  # what a server's dispatcher does
    inbox = json.loads(cli("inbox", "--as", "ann", "--unread", "--json").stdout)
    assert inbox["unread"] >= 1
    assert {n["urn"] for n in inbox["items"]} >= {U + "customers#email"}
    assert {n["kind"] for n in inbox["items"]} == {"sensitive_label"}
    assert cli("inbox", "--as", "bob", "--json").stdout.count('"id"') == 0
    text = cli("inbox", "--as", "ann").stdout
    assert text.rstrip().endswith(f"{inbox['unread']} unread") and "New label" in text
    marked = cli("inbox", "--read-all", "--as", "ann")
    assert f"Marked {inbox['unread']} notification(s) read" in marked.stdout
    assert "No unread notifications." in cli("inbox", "--unread", "--as", "ann").stdout

    sid = str(listed["items"][0]["id"])
    assert cli("subscriptions", "delete", sid, "--as", "bob").exit_code == 1  # not bob's
    assert cli("subscriptions", "delete", sid, "--as", "ann").exit_code == 0
    assert "No subscriptions" in cli("subscriptions", "list", "--as", "ann").stdout

    bad = cli("subscribe", "table", "x")
    assert bad.exit_code == 2 and "Unknown target kind 'table'" in bad.stderr
    gone = cli("subscribe", "asset", U + "nope")
    assert gone.exit_code == 1 and "nope" in gone.stderr
    channel = cli("subscribe", "source", "shop", "--channel", "pager")
    assert channel.exit_code == 2 and "Unknown channel 'pager'" in channel.stderr
