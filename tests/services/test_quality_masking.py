"""Quality never copies a labelled column's values where a viewer can read them: suggested
rules carry no values of it, and what a freshness rule observed of it is masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.services import classification, scans, sources
from tests import quality_sources as qs

VIEWER = Principal("viewer1", Role.VIEWER)


def test_labelled_columns_get_no_value_rules_and_masked_observations(
    ctx: Any, operator: Principal, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src", options=ScanOptions(profile=True))
    for column in ("main.orders#qty", "main.customers#created_at"):
        classification.decide(
            ctx, operator, f"urn:sounding:src:{column}", "Custom.Secret", "confirmed"
        )
    names = {(r.qualified_name, r.name) for r in quality.suggest(ctx, operator, "src").items}
    assert ("main.orders", "range(qty)") not in names  # its extremes would be in the rule
    assert ("main.customers", "not_null(email)") in names  # value-free rules still come

    table = "urn:sounding:src:main.customers"
    rule = {"name": "fresh", "kind": "freshness", "column": "created_at"}
    quality.create_rule(ctx, operator, table, {**rule, "params": {"max_age": "36500d"}})
    quality_runs.run_quality(ctx, operator, "src")
    seen = {r.kind: r for r in quality_runs.result_history(ctx, VIEWER, asset=table)[0]}
    observed = seen["freshness"].observed
    assert observed["latest"] == "***" and observed["age_seconds"] > 0
    shown = {r.kind: r for r in quality_runs.result_history(ctx, operator, asset=table)[0]}
    assert shown["freshness"].observed["latest"] not in (None, "***")
