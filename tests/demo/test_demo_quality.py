"""The demo warehouse's planted defects, found by its shipped quality rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.cli import demo
from sounding.domain.scans import ScanOptions
from sounding.services import scans


@pytest.mark.slow
def test_demo_rules_find_exactly_the_planted_defects(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    demo.prepare_demo(ctx, operator, tmp_path / "data")
    scans.run_scan(ctx, operator, "warehouse", options=ScanOptions())
    run = demo.run_demo_quality(ctx, operator)
    assert run.status == "succeeded" and run.rules_errored == 0
    failing = {
        (r.qualified_name, r.rule): r.failing_count for r in run.results if r.passed is False
    }
    assert failing == {
        ("main.raw_customers", "not_null(phone_number)"): 600,
        ("main.raw_customers", "unique(email)"): 20,
        ("main.raw_orders", "referential_integrity(customer_id)"): 12,
        ("main.raw_order_items", "range(quantity)"): 25,
        ("main.raw_exchange_rates", "freshness(loaded_at)"): 1,
    }
    fresh = next(r for r in run.results if r.rule == "freshness(loaded_at)")
    assert fresh.observed["latest"] < "2025-07-02"  # rates loaded the morning after
    assert fresh.observed["age_seconds"] > 150 * 86400
