"""The profile and classify stages on the demo warehouse, decisions, rule sets, masking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.demo.warehouse import build_demo_workspace
from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import classification, profiling, scans, sources

W = "urn:sounding:warehouse:main."


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("demo"), scale=0.05).warehouse_path


@pytest.fixture
def scanned(ctx: Any, operator: Any, warehouse: Path) -> Any:
    sources.add(ctx, operator, "warehouse", f"sqlite:///{warehouse}")
    run = scans.run_scan(
        ctx, operator, "warehouse", options=ScanOptions(profile=True, classify=True, sample="full")
    )
    assert run.status == "completed", run.report["failures"]
    return run


def _labels(ctx: Any, operator: Any, table: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in classification.asset_classifications(ctx, operator, W + table).items:
        out.setdefault(item.column, set()).add(item.label)
    return out


def test_scan_labels_sensitive_columns_and_leaves_clean_ones(
    ctx: Any, operator: Any, scanned: Any
) -> None:
    stages = scanned.report["stages"]
    assert stages["classify"]["classified"] == stages["classify"]["objects"] > 15
    customers = _labels(ctx, operator, "raw_customers")
    assert "PII.Email" in customers.get("email", set())
    assert any(label.startswith("PII.Phone") for label in customers.get("phone_number", set()))
    cards = _labels(ctx, operator, "raw_payment_methods")
    assert "PCI.CardNumber" in cards.get("card_number", set())
    assert any("IBAN" in label for labels in cards.values() for label in labels)
    items = _labels(ctx, operator, "raw_order_items")
    assert not any(items.get(c) for c in ("quantity", "unit_price")), items
    listed, total = classification.list_classifications(
        ctx, operator, "PII.Email", None, None, 100, 0
    )
    assert total >= 1 and all(i.label == "PII.Email" for i in listed)


def test_human_decisions_survive_rescans(ctx: Any, operator: Any, scanned: Any) -> None:
    email = W + "raw_customers#email"
    classification.decide(ctx, operator, email, "PII.Email", "rejected", "test data")
    classification.decide(ctx, operator, email, "Custom.Contact", "confirmed")
    with pytest.raises(InvalidInputError, match="Invalid label"):
        classification.decide(ctx, operator, email, "not a label", "confirmed")
    with pytest.raises(InvalidInputError, match="belong to columns"):
        classification.decide(ctx, operator, W + "raw_customers", "PII.Email", "confirmed")
    forced = classification.classify_source(ctx, "warehouse", force=True)
    assert forced["classified"] > 0
    items = {i.label: i for i in classification.asset_classifications(ctx, operator, email).items}
    assert items["PII.Email"].status == "rejected"
    assert items["PII.Email"].decided_by == operator.name
    assert items["Custom.Contact"].status == "confirmed"


def test_unchanged_tables_are_skipped_until_rules_change(
    ctx: Any, operator: Any, scanned: Any
) -> None:
    again = classification.classify_source(ctx, "warehouse")
    assert again["classified"] == 0 and again["skipped_unchanged"] == again["objects"]
    rules = """
version: 1
name: loyalty
rules:
  - id: tier
    label: Custom.LoyaltyTier
    names: ['\\btier\\b']
    requires_name: true
"""
    out = classification.apply_rule_file(ctx, operator, rules, ["warehouse"])
    assert out.sources == ("warehouse",) and out.version == 1
    after = classification.classify_source(ctx, "warehouse")
    assert after["classified"] == after["objects"]  # the rules changed: everything re-evaluated
    found, _ = classification.list_classifications(
        ctx, operator, "Custom.LoyaltyTier", None, "warehouse", 10, 0
    )
    assert [i.column for i in found] == ["loyalty_tier"]
    assert classification.apply_rule_file(ctx, operator, rules).version == 2


def test_profiles_are_kept_per_scan_and_masked_for_viewers(
    ctx: Any, operator: Any, scanned: Any
) -> None:
    viewer = Principal("v", Role.VIEWER)
    steward = Principal("s", Role.STEWARD)
    table = profiling.get_profile(ctx, steward, W + "raw_customers")
    cols = {c["name"]: c for c in table.profile["columns"]}
    assert table.profile["row_count"] == table.profile["sampled_rows"] > 0
    assert "@" in str(cols["email"]["max"])
    hidden = {
        c["name"]: c
        for c in profiling.get_profile(ctx, viewer, W + "raw_customers").profile["columns"]
    }
    assert hidden["email"]["max"] == "***" and hidden["email"]["masked"]
    assert all(v["value"] == "***" for v in hidden["email"]["top_values"])
    assert hidden["customer_id"].get("masked") is not True
    column = profiling.get_profile(ctx, viewer, W + "raw_customers#email")
    assert column.profile["min"] == "***"
    scans.run_scan(ctx, operator, "warehouse", options=ScanOptions(profile=True))
    history, total = profiling.profile_history(ctx, steward, W + "raw_customers", 10, 0)
    assert total == 2 and history[0].scan_run_id > history[1].scan_run_id
    with pytest.raises(NotFoundError, match="no profile yet"):
        profiling.get_profile(ctx, steward, "urn:sounding:warehouse")
