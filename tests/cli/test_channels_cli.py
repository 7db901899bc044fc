"""``sounding channels ...`` through Typer's runner on a real store: add, list (secret
hidden), a test message sent at once to a local HTTP receiver (signed) and to a dead URL
(exit 1 with the error), the delivery log, bad input (exit 2) and remove."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.delivery_receivers import http_receiver


def test_channels_from_the_command_line(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOUNDING_DELIVERY_TIMEOUT_SECONDS", "2")
    with http_receiver() as web:
        monkeypatch.setenv("SOUNDING_CHANNEL_SECRET", "s3cret")
        made = cli("channels", "add", "ops", "--url", f"{web.base}/ops", "--rate", "10")
        assert made.exit_code == 0, made.output
        monkeypatch.delenv("SOUNDING_CHANNEL_SECRET")
        listed = json.loads(cli("channels", "list", "--json").stdout)["items"]
        assert [(c["name"], c["secret"], c["rate_per_minute"]) for c in listed] == [
            ("ops", "***", 10)
        ]
        assert "s3cret" not in cli("channels", "list").stdout

        sent = cli("channels", "test", "ops")
        assert sent.exit_code == 0, sent.output
        assert "delivered to ops" in sent.stdout
        (request,) = web.at("/ops")
        assert request.signature_ok("s3cret")
        assert request.json()["payload"]["event"] == "test"

        web.failures["/broken"] = 1
        assert cli("channels", "add", "broken", "--url", f"{web.base}/broken").exit_code == 0
        failed = cli("channels", "test", "broken")
        assert failed.exit_code == 1
        assert "not delivered (HTTP 503)" in failed.stderr

    log = json.loads(cli("channels", "deliveries", "--json").stdout)
    assert [(d["channel"], d["status"], d["attempts"]) for d in log["items"]] == [
        ("broken", "pending", 1),  # retried later by a server's worker
        ("ops", "delivered", 1),
    ]
    pending = json.loads(cli("channels", "deliveries", "--status", "pending", "--json").stdout)
    assert pending["total"] == 1

    bad = cli("channels", "add", "x", "--url", "ftp://example.com")
    assert bad.exit_code == 2 and "http:// or https://" in bad.stderr
    mail = cli("channels", "add", "mail", "--kind", "email", "--address", "nobody")
    assert mail.exit_code == 2 and "Invalid e-mail address" in mail.stderr
    assert cli("channels", "test", "nosuch").exit_code == 1
    assert cli("channels", "remove", "ops").exit_code == 0
    assert cli("channels", "remove", "ops").exit_code == 1
