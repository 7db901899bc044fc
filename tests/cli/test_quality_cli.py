"""`sounding quality ...` through Typer's runner on a real store."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from tests import quality_sources as qs


def test_apply_run_scores_and_report(cli: Any, tmp_path: Path) -> None:
    qs.build(f"sqlite:///{tmp_path / 'src.db'}")
    assert cli("source", "add", "src", f"sqlite:///{tmp_path / 'src.db'}").exit_code == 0
    assert cli("scan", "src").exit_code == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text(qs.rule_file("src", "main.customers", "main.orders"))
    applied = cli("quality", "rules", "apply", str(rules))
    assert applied.exit_code == 0 and "11 created" in applied.stdout, applied.output
    listed = json.loads(cli("quality", "rules", "list", "--json").stdout)
    assert listed["total"] == 11
    ran = cli("quality", "run", "src", "--json", "--fail-on", "never")
    assert ran.exit_code == 0, ran.output
    run = json.loads(ran.stdout)
    failing = {r["rule"]: r["failing_count"] for r in run["results"] if r["passed"] is False}
    assert failing == qs.EXPECTED
    table = cli("quality", "run", "src")
    assert "2 passed, 9 failed, 0 errored" in table.stdout
    # a CI gate: failing error-severity rules exit 1 and say which
    assert table.exit_code == 1
    assert "8 rule(s) at severity error or worse failed" in table.stderr
    scores = json.loads(cli("quality", "scores", "--source", "src", "--json").stdout)
    assert scores["tables_scored"] == 2
    out = tmp_path / "report.csv"
    wrote = cli("quality", "report", "--source", "src", "--format", "csv", "-o", str(out))
    assert wrote.exit_code == 0, wrote.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 11 and {r["table"] for r in rows} == {"main.customers", "main.orders"}
    page = tmp_path / "report.html"
    assert (
        cli(
            "quality", "report", "--asset", "urn:sounding:src:main.orders", "-o", str(page)
        ).exit_code
        == 0
    )
    assert "<svg" in page.read_text() and "custom_sql" in page.read_text()


def test_bad_input_exits_2_with_one_line(cli: Any, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("source: [unclosed\n")
    bad = cli("quality", "rules", "apply", str(rules))
    assert bad.exit_code == 2 and "not valid YAML" in bad.stderr
    wrong = cli("quality", "report", "--format", "pdf")
    assert wrong.exit_code == 2 and "choose json, csv or html" in wrong.stderr
    missing = cli("quality", "run", "nosuch")
    assert missing.exit_code == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_fail_on_picks_the_severity_that_gates(cli: Any, tmp_path: Path) -> None:
    qs.build(f"sqlite:///{tmp_path / 'src.db'}")
    assert cli("source", "add", "src", f"sqlite:///{tmp_path / 'src.db'}").exit_code == 0
    assert cli("scan", "src").exit_code == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "source: src\ntables:\n  main.customers:\n"
        "    - {kind: unique, column: email, severity: warning}\n"
        "    - {kind: not_null, column: id}\n"
    )
    assert cli("quality", "rules", "apply", str(rules)).exit_code == 0
    # only the warning-severity rule fails
    assert cli("quality", "run", "src").exit_code == 0
    warned = cli("quality", "run", "src", "--fail-on", "warning")
    assert warned.exit_code == 1
    assert "1 rule(s) at severity warning or worse failed: main.customers: unique(email)" in (
        warned.stderr
    )
    assert cli("quality", "run", "src", "--fail-on", "never", "--json").exit_code == 0
    assert cli("quality", "run", "src", "--fail-on", "sometimes").exit_code == 2
