"""The demo warehouse's planted compliance defects become exactly the expected findings."""

from __future__ import annotations

from typing import Any

import pytest

from sounding.cli.demo import assign_demo_owners, evaluate_demo_compliance
from sounding.demo.warehouse import build_demo_workspace
from sounding.domain.scans import ScanOptions
from sounding.features.compliance import findings as compliance_findings
from sounding.services import scans, sources

EXPECTED = {
    # the unmasked card column (PCI DSS 3.5.1), not yet confirmed by a steward (12.5.2)
    ("pci_dss", "PCI-3.5.1", "main.raw_payment_methods.card_number"),
    ("pci_dss", "PCI-12.5.2", "main.raw_payment_methods.card_number"),
    # the ownerless personal-data table, which has no record of processing either
    ("gdpr", "GDPR-Art5", "main.raw_loyalty_members"),
    ("gdpr", "GDPR-Art30", "main.raw_loyalty_members"),
    ("ccpa", "CCPA-1798.105", "main.raw_loyalty_members"),
    ("ccpa", "CCPA-1798.100", "main.raw_loyalty_members"),
    # owned personal data without a documented purpose and retention period
    ("gdpr", "GDPR-Art30", "main.raw_suppliers"),
    ("gdpr", "GDPR-Art30", "main.raw_web_sessions"),
    ("ccpa", "CCPA-1798.100", "main.raw_suppliers"),
    ("ccpa", "CCPA-1798.100", "main.raw_web_sessions"),
}


@pytest.fixture(scope="module")
def demo_findings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sounding.domain.auth import Principal, Role
    from sounding.services.context import build_context
    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("compliance-demo")
    workspace = build_demo_workspace(home / "data", scale=0.05)
    ctx = build_context(make_settings(home / "home"))
    actor = Principal("demo", Role.ADMIN)
    try:
        sources.add(ctx, actor, "warehouse", f"sqlite:///{workspace.warehouse_path}")
        scans.run_scan(ctx, actor, "warehouse", options=ScanOptions(classify=True))
        assign_demo_owners(ctx, actor)
        result = evaluate_demo_compliance(ctx, actor)
        items, _ = compliance_findings.list_findings(ctx, actor, limit=1000)
        report = compliance_findings.report(ctx, actor, "pci_dss")
        yield result, items, report
    finally:
        ctx.close()


def test_demo_findings_are_exactly_the_planted_defects(demo_findings: Any) -> None:
    result, items, _ = demo_findings
    found = {(i.framework, i.requirement_id, i.qualified_name) for i in items}
    assert found == EXPECTED
    assert result.open_total == len(EXPECTED) and result.warnings == []
    by_key = {(i.requirement_id, i.qualified_name): i for i in items}
    owner = by_key[("GDPR-Art5", "main.raw_loyalty_members")]
    assert owner.severity == "high" and owner.evidence["failed"] == ["has_owner"]
    pan = by_key[("PCI-3.5.1", "main.raw_payment_methods.card_number")]
    sampled = pan.evidence["controls"][0]["columns"]["card_number"]
    assert pan.severity == "critical" and sampled["share"] == 1.0


def test_the_masked_card_column_is_compliant(demo_findings: Any) -> None:
    _, items, report = demo_findings
    assert not [i for i in items if "stg_payment_methods" in i.qualified_name]
    pan = next(r for r in report.requirements if r["id"] == "PCI-3.5.1")
    assert (pan["assets_in_scope"], pan["open"], pan["coverage"]) == (2, 1, 0.5)
