"""`sounding compliance ...` through Typer's runner on a real store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.factories import sqlite_source


@pytest.fixture
def cli(cli: Any, tmp_path: Path) -> Any:
    """The shared runner (``tests/cli/conftest.py``), with the source ``shop`` added."""
    assert cli("source", "add", "shop", sqlite_source(tmp_path / "shop.db")).exit_code == 0
    return cli


def test_evaluate_list_accept_and_report(cli: Any, tmp_path: Path) -> None:
    scanned = cli("scan", "shop", "--classify")
    assert scanned.exit_code == 0, scanned.output
    frameworks = json.loads(cli("compliance", "frameworks", "--json").stdout)
    assert {f["id"] for f in frameworks["items"]} == {"gdpr", "ccpa", "hipaa", "pci_dss"}
    evaluated = cli("compliance", "evaluate", "--source", "shop", "--framework", "gdpr")
    assert evaluated.exit_code == 0, evaluated.output
    assert "open findings" in evaluated.stdout
    found = json.loads(cli("compliance", "findings", "--framework", "gdpr", "--json").stdout)
    owner = next(
        i for i in found["items"] if i["requirement_id"] == "GDPR-Art5" and "customers" in i["urn"]
    )
    table = cli("compliance", "findings", "--status", "open")
    assert table.exit_code == 0 and "GDPR-Art5" in table.stdout

    missing = cli("compliance", "accept", str(owner["id"]), "--justification", "no")
    assert missing.exit_code == 2 and "justification" in missing.stderr
    accepted = cli(
        "compliance", "accept", str(owner["id"]), "--justification", "Owner hired next month"
    )
    assert accepted.exit_code == 0, accepted.output
    listed = json.loads(cli("compliance", "findings", "--status", "accepted", "--json").stdout)
    assert [i["id"] for i in listed["items"]] == [owner["id"]]
    assert cli("compliance", "accept", "999", "--justification", "x" * 20).exit_code == 1

    out = tmp_path / "gdpr.html"
    report = cli("compliance", "report", "gdpr", "--format", "html", "-o", str(out))
    assert report.exit_code == 0 and "<svg" in out.read_text()
    as_csv = cli("compliance", "report", "gdpr", "--format", "csv")
    assert as_csv.stdout.startswith("framework,requirement_id")
    as_json = json.loads(cli("compliance", "report", "gdpr").stdout)
    assert as_json["status_counts"]["accepted"] == 1
    bad = cli("compliance", "report", "gdpr", "--format", "pdf")
    assert bad.exit_code == 2 and "format" in bad.stderr
    assert cli("compliance", "report", "sox").exit_code == 1

    resolved = cli("compliance", "resolve", str(owner["id"]), "--note", "Owner found", "--json")
    assert json.loads(resolved.stdout)["justification"] == "Owner hired next month"  # kept
    cli("compliance", "reopen", str(owner["id"]))
    shown = cli("compliance", "history", str(owner["id"]))
    assert shown.exit_code == 0 and "Owner hired next month" in shown.stdout
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z  opened", shown.stdout, re.M)
    steps = json.loads(cli("compliance", "history", str(owner["id"]), "--json").stdout)
    assert [(e["event"], e["from_status"], e["origin"], e["note"]) for e in steps["items"]] == [
        ("opened", None, "evaluation", None),
        ("accepted", "open", "manual", "Owner hired next month"),
        ("resolved", "accepted", "manual", "Owner found"),
        ("reopened", "resolved", "manual", None),
    ]
    assert cli("compliance", "history", "999").exit_code == 1


def test_add_a_framework_file(cli: Any, tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text(
        "id: mine\nname: Mine\nrequirements:\n  - id: M1\n    title: owned\n"
        "    severity: low\n    applies_to: {labels: [PII]}\n    controls: [has_owner]\n"
    )
    assert cli("compliance", "add", str(good)).exit_code == 0
    assert "mine" in cli("compliance", "frameworks").stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("has_owner", "has_wings"))
    failed = cli("compliance", "add", str(bad))
    assert failed.exit_code == 2 and "requirements[0].controls[0]" in failed.stderr
