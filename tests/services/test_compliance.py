"""Compliance evaluation through the services on SQLite and PostgreSQL: findings lifecycle,
idempotency, reopening, tags, user frameworks, the workflow step and the demo's findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.domain.scans import ScanOptions
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    ValidationFailedError,
)
from sounding.features.accounts import service as accounts
from sounding.features.compliance import findings as compliance_findings
from sounding.features.compliance import service as compliance
from sounding.services import catalog, classification, scans, sources, workflows
from tests.factories import sqlite_source

S = "urn:sounding:shop:main."


def _pan(prefix: str, i: int) -> str:
    body = f"{prefix}{i:09d}"[:15]
    total = 0
    for n, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if n % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _shop_ddl() -> str:
    rows = [
        (i, f"person{i}@example.com", f"Person {i}", _pan("411111", i), f"**** **** **** {i:04d}")
        for i in range(1, 41)
    ]
    inserts = "\n".join(
        f"INSERT INTO customers VALUES ({i}, '{e}', '{n}');"
        f"INSERT INTO payments VALUES ({i}, {i}, '{p}');"
        f"INSERT INTO payments_masked VALUES ({i}, '{m}');"
        f"INSERT INTO orders VALUES ({i}, {i * 10});"
        for i, e, n, p, m in rows
    )
    return (
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, full_name TEXT);"
        "CREATE TABLE payments (id INTEGER PRIMARY KEY, customer_id INTEGER, card_number TEXT);"
        "CREATE TABLE payments_masked (id INTEGER PRIMARY KEY, card_number TEXT);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC);" + inserts
    )


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.db"
    sqlite_source(path, _shop_ddl())
    return path


@pytest.fixture
def shop(any_ctx: Any, operator: Any, shop_db: Path) -> Any:
    sources.add(any_ctx, operator, "shop", f"sqlite:///{shop_db}")
    run = scans.run_scan(any_ctx, operator, "shop", options=ScanOptions(classify=True))
    assert run.status == "completed"
    classification.decide(
        any_ctx, operator, S + "payments_masked#card_number", "PCI.CardNumber", "confirmed"
    )
    return any_ctx


def _findings(ctx: Any, operator: Any, **kw: Any) -> dict[tuple[str, str], Any]:
    items, total = compliance_findings.list_findings(ctx, operator, limit=1000, **kw)
    assert total == len(items)
    return {(i.requirement_id, i.qualified_name): i for i in items}


def test_evaluation_finds_readable_pans_and_ownerless_personal_data(
    shop: Any, operator: Any
) -> None:
    result = compliance.evaluate(shop, operator, "shop")
    assert result.opened == result.open_total > 0 and result.warnings == []
    found = _findings(shop, operator)
    pan = found[("PCI-3.5.1", "main.payments.card_number")]
    assert pan.severity == "critical" and pan.status == "open"
    sampled = pan.evidence["controls"][0]["columns"]["card_number"]
    assert sampled["readable"] == sampled["sampled"] == 40
    assert all(e.startswith("************") for e in sampled["examples"])
    assert _pan("411111", 1) not in str(pan.evidence)  # never the raw value
    assert ("PCI-3.5.1", "main.payments_masked.card_number") not in found
    assert found[("GDPR-Art5", "main.customers")].evidence["failed"] == ["has_owner"]
    assert not any(name == "main.orders" for _, name in found)
    tagged = catalog.list_assets(shop, operator, limit=50, offset=0, tag="gdpr")[0]
    assert {a.name for a in tagged} == {"customers", "payments", "payments_masked"}
    pci = catalog.list_assets(shop, operator, limit=50, offset=0, tag="pci-dss")[0]
    assert {a.name for a in pci} == {"payments", "payments_masked"}
    counts = compliance_findings.open_finding_counts(shop)
    assert {"framework": "pci_dss", "severity": "critical", "count": 1} in counts


def test_evaluating_twice_creates_no_duplicates(shop: Any, operator: Any) -> None:
    first = compliance.evaluate(shop, operator, "shop")
    before = _findings(shop, operator)
    again = compliance.evaluate(shop, operator, "shop")
    assert (again.opened, again.reopened, again.resolved) == (0, 0, 0)
    assert again.open_total == first.open_total == len(before)
    after = _findings(shop, operator)
    assert {k: v.id for k, v in after.items()} == {k: v.id for k, v in before.items()}
    history, total = compliance.evaluation_history(shop, operator, 10, 0)
    assert total == 2 and history[0].opened == 0 and history[1].opened == len(before)


def test_lifecycle_resolve_reopen_accept(shop: Any, operator: Any) -> None:
    compliance.evaluate(shop, operator, "shop")
    key = ("GDPR-Art5", "main.customers")
    finding = _findings(shop, operator)[key]
    catalog.update_asset(shop, operator, S + "customers", {"owner": "crm@example.com"})
    fixed = compliance.evaluate(shop, operator, "shop", ["gdpr"])
    assert fixed.resolved >= 1
    resolved = compliance_findings.get_finding(shop, operator, finding.id)
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    catalog.update_asset(shop, operator, S + "customers", {"owner": None})
    broken = compliance.evaluate(shop, operator, "shop", ["gdpr"])
    assert broken.reopened == 1
    assert compliance_findings.get_finding(shop, operator, finding.id).status == "open"

    with pytest.raises(InvalidInputError, match="justification"):
        compliance_findings.accept(shop, operator, finding.id, "  ")
    accepted = compliance_findings.accept(
        shop, operator, finding.id, "Legacy table, deleted in Q3 (ticket GOV-12)"
    )
    assert accepted.status == "accepted" and accepted.decided_by == operator.name
    assert accepted.justification.startswith("Legacy table")
    compliance.evaluate(shop, operator, "shop")
    still = compliance_findings.get_finding(shop, operator, finding.id)
    assert still.status == "accepted" and still.justification == accepted.justification
    with pytest.raises(ConflictError, match="accepted"):
        compliance_findings.accept(shop, operator, finding.id, "again and again")

    pan = _findings(shop, operator)[("PCI-3.5.1", "main.payments.card_number")]
    assert compliance_findings.resolve(shop, operator, pan.id, "masked").status == "resolved"
    compliance.evaluate(shop, operator, "shop", ["pci_dss"])
    assert compliance_findings.get_finding(shop, operator, pan.id).status == "open"

    actions = [e.action for e in accounts.audit_entries(shop, operator, 1000, 0)[0]]
    for action in (
        "compliance.evaluate",
        "compliance.finding.open",
        "compliance.finding.resolve",
        "compliance.finding.reopen",
        "compliance.finding.accept",
        "compliance.tag",
    ):
        assert action in actions, action  # fmt: skip
    listed = _findings(shop, operator, framework="gdpr", status="accepted")
    assert list(listed) == [key]
    with pytest.raises(InvalidInputError, match="status"):
        compliance_findings.list_findings(shop, operator, status="closed")


def _steps(ctx: Any, operator: Any, finding_id: int) -> list[tuple[Any, ...]]:
    return [
        (e.event, e.from_status, e.to_status, e.origin, e.actor, e.note)
        for e in compliance_findings.history(ctx, operator, finding_id)
    ]


def test_history_keeps_every_decision_and_resolving_keeps_the_justification(
    shop: Any, operator: Any
) -> None:
    from sounding.domain.auth import Principal, Role

    steward, viewer = Principal("sam", Role.STEWARD), Principal("v", Role.VIEWER)
    compliance.evaluate(shop, operator, "shop", ["gdpr"])
    finding = _findings(shop, operator)[("GDPR-Art5", "main.customers")]
    why = "Legacy table, deleted in Q3 (ticket GOV-12)"
    compliance_findings.accept(shop, steward, finding.id, why)
    resolved = compliance_findings.resolve(shop, steward, finding.id, "owner being hired")
    assert resolved.status == "resolved" and resolved.justification == why
    with pytest.raises(ConflictError):  # a refused decision leaves no trace
        compliance_findings.accept(shop, steward, finding.id, why)
    compliance.evaluate(shop, operator, "shop", ["gdpr"])  # still no owner: reopened
    reopened = compliance_findings.get_finding(shop, operator, finding.id)
    assert reopened.status == "open" and reopened.justification is None
    catalog.update_asset(shop, operator, S + "customers", {"owner": "crm@example.com"})
    compliance.evaluate(shop, operator, "shop", ["gdpr"])  # fixed: resolved automatically
    compliance_findings.reopen(shop, steward, finding.id, "owner left the company")

    assert _steps(shop, viewer, finding.id) == [
        ("opened", None, "open", "evaluation", operator.name, None),
        ("accepted", "open", "accepted", "manual", "sam", why),
        ("resolved", "accepted", "resolved", "manual", "sam", "owner being hired"),
        ("reopened", "resolved", "open", "evaluation", operator.name, None),
        ("resolved", "open", "resolved", "evaluation", operator.name, None),
        ("reopened", "resolved", "open", "manual", "sam", "owner left the company"),
    ]
    times = [e.at for e in compliance_findings.history(shop, viewer, finding.id)]
    assert times == sorted(times)
    with pytest.raises(NotFoundError):
        compliance_findings.history(shop, viewer, 424242)


def test_acknowledging_keeps_a_finding_open_until_it_comes_back(shop: Any, operator: Any) -> None:
    from sounding.domain.auth import Principal, Role

    steward, viewer = Principal("sam", Role.STEWARD), Principal("v", Role.VIEWER)
    compliance.evaluate(shop, operator, "shop", ["gdpr"])
    finding = _findings(shop, operator)[("GDPR-Art5", "main.customers")]
    with pytest.raises(PermissionDeniedError):
        compliance_findings.acknowledge(shop, viewer, finding.id)
    seen = compliance_findings.acknowledge(shop, steward, finding.id, "asking CRM for an owner")
    assert seen.status == "open" and seen.acknowledged_by == "sam"
    assert seen.acknowledged_at is not None and seen.revision > finding.revision
    with pytest.raises(ConflictError, match="acknowledged already by sam"):
        compliance_findings.acknowledge(shop, steward, finding.id)
    assert list(_findings(shop, operator, status="open")).count(("GDPR-Art5", "main.customers"))
    compliance_findings.resolve(shop, steward, finding.id, "owner being hired")
    with pytest.raises(ConflictError, match="resolved"):
        compliance_findings.acknowledge(shop, steward, finding.id)
    compliance.evaluate(shop, operator, "shop", ["gdpr"])  # still failing: it comes back
    back = compliance_findings.get_finding(shop, operator, finding.id)
    assert back.status == "open" and back.acknowledged_by is None
    assert [s[0] for s in _steps(shop, viewer, finding.id)] == [
        "opened",
        "acknowledged",
        "resolved",
        "reopened",
    ]
    assert _steps(shop, viewer, finding.id)[1] == (
        "acknowledged",
        "open",
        "open",
        "manual",
        "sam",
        "asking CRM for an owner",
    )
    actions = [e.action for e in accounts.audit_entries(shop, operator, 1000, 0)[0]]
    assert "compliance.finding.acknowledge" in actions


def test_viewers_read_but_cannot_evaluate_or_decide(shop: Any, operator: Any) -> None:
    from sounding.domain.auth import Principal, Role

    viewer = Principal("v", Role.VIEWER)
    compliance.evaluate(shop, operator, "shop")
    item = next(iter(_findings(shop, viewer).values()))
    with pytest.raises(PermissionDeniedError):
        compliance.evaluate(shop, viewer, "shop")
    with pytest.raises(PermissionDeniedError):
        compliance_findings.accept(shop, viewer, item.id, "because I say so")


CUSTOM = """
id: internal
name: Internal data policy
version: 2
requirements:
  - id: INT-1
    title: Personal data has a steward and a domain
    severity: low
    applies_to: {labels: [PII]}
    controls: [has_steward, has_domain]
"""


def test_user_frameworks_from_files_and_uploads(shop: Any, operator: Any) -> None:
    folder = compliance.frameworks_dir(shop)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "internal.yaml").write_text(CUSTOM)
    listed = {f["id"]: f for f in compliance.list_frameworks(shop, operator)}
    assert listed["internal"]["origin"].startswith("file:") and listed["internal"]["version"] == "2"
    result = compliance.evaluate(shop, operator, "shop", ["internal"])
    assert result.frameworks == ["internal"] and result.opened == 1
    (folder / "internal.yaml").unlink()

    uploaded = compliance.upload_framework_text(shop, operator, CUSTOM.replace("low", "high"))
    assert uploaded["origin"] == "uploaded" and uploaded["requirements"][0]["severity"] == "high"
    assert compliance.get_framework(shop, operator, "internal")["origin"] == "uploaded"
    with pytest.raises(ValidationFailedError) as bad:
        compliance.upload_framework_text(shop, operator, CUSTOM.replace("has_domain", "has_x"))
    assert bad.value.details["errors"][0]["loc"] == "requirements[0].controls[1]"
    with pytest.raises(ParseError):
        compliance.upload_framework_body(shop, operator, "{not json", "application/json")
    compliance.delete_framework(shop, operator, "internal")
    with pytest.raises(NotFoundError, match="internal"):
        compliance.evaluate(shop, operator, "shop", ["internal"])
    with pytest.raises(NotFoundError):
        compliance.delete_framework(shop, operator, "gdpr")

    (folder / "broken.yaml").write_text(CUSTOM.replace("severity: low", "severity: huge"))
    with pytest.raises(ValidationFailedError, match=r"broken\.yaml"):
        compliance.list_frameworks(shop, operator)


def test_report_coverage_and_severity(shop: Any, operator: Any) -> None:
    properties = {"retention": "13 months", "access": "restricted"}
    changes = {"owner": "payments@example.com", "custom_properties": properties}
    catalog.update_asset(shop, operator, S + "payments_masked", changes)
    compliance.evaluate(shop, operator, "shop")
    report = compliance_findings.report(shop, operator, "pci_dss")
    # in scope: payments, payments_masked (tables) and their two card columns; the masked
    # table and its column pass every control
    assert (report.assets_in_scope, report.compliant_assets) == (4, 2)
    assert report.coverage == 0.5
    assert report.open_by_severity["critical"] == 1
    pan = next(r for r in report.requirements if r["id"] == "PCI-3.5.1")
    assert (pan["assets_in_scope"], pan["open"], pan["coverage"]) == (2, 1, 0.5)
    assert report.last_evaluation is not None
    media, html = compliance_findings.render_report(shop, operator, "pci_dss", "html")
    assert media == "text/html" and "<svg" in html and "main.payments#card_number" in html
    with pytest.raises(InvalidInputError, match="format"):
        compliance_findings.render_report(shop, operator, "pci_dss", "pdf")


COMPLIANCE_FLOW = """
name: nightly-compliance
steps:
  - {id: scan, type: discover, config: {source: shop}}
  - {id: check, type: compliance, depends_on: scan, config: {source: shop, frameworks: [pci_dss]}}
"""


def test_the_compliance_workflow_step_evaluates(ctx: Any, operator: Any, shop_db: Path) -> None:
    sources.add(ctx, operator, "shop", f"sqlite:///{shop_db}")
    scans.run_scan(ctx, operator, "shop", options=ScanOptions(classify=True))
    workflows.apply_workflow(ctx, operator, COMPLIANCE_FLOW)
    started = workflows.execute(ctx, operator, "nightly-compliance")
    done = workflows.wait(ctx, started.id, timeout=60)
    assert done.status == "completed", done
    found = _findings(ctx, operator, framework="pci_dss")
    assert ("PCI-3.5.1", "main.payments.card_number") in found
    assert _findings(ctx, operator, framework="gdpr") == {}
    bad = COMPLIANCE_FLOW.replace("[pci_dss]", "[sox]").replace("nightly-compliance", "bad")
    workflows.apply_workflow(ctx, operator, bad)
    failed = workflows.wait(ctx, workflows.execute(ctx, operator, "bad").id, timeout=60)
    assert failed.status == "failed"
