"""The ``quality`` workflow step: one task per table with active rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.features.accounts import service as accounts
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.services import scans, sources, workflows
from tests import quality_sources as qs

FLOW = """
name: quality-src
steps:
  - {id: quality, type: quality, config: {source: src}}
"""


def test_quality_step_runs_each_table_with_rules(ctx: Any, operator: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src")
    quality.apply_rule_file(ctx, operator, qs.rule_file("src", "main.customers", "main.orders"))
    workflows.apply_workflow(ctx, operator, FLOW)
    started = workflows.execute(ctx, operator, "quality-src")
    done = workflows.wait(ctx, started.id, timeout=60)
    assert done.status == "completed", done
    runs, total = quality_runs.list_runs(ctx, operator, "src", 10, 0)
    assert total == 2  # one per table with rules
    assert {r.asset_urn for r in runs} == {
        "urn:sounding:src:main.customers",
        "urn:sounding:src:main.orders",
    }
    failed = sum(r.rules_failed or 0 for r in runs)
    assert failed == len(qs.EXPECTED)
    # the audit log names the execution that ran the rules, not a person
    step_actor = f"workflow:{started.id[:8]}"
    logged, count = accounts.audit_entries(ctx, operator, 10, 0, step_actor, "quality.run")
    assert count == 2 and {e.actor for e in logged} == {step_actor}
    strict = FLOW.replace("quality-src", "quality-strict").replace(
        "source: src}",
        "source: src, fail_on_error: true}, retry: {attempts: 3, backoff: {initial: 0}}",
    )
    workflows.apply_workflow(ctx, operator, strict)
    again = workflows.wait(ctx, workflows.execute(ctx, operator, "quality-strict").id, 60)
    assert again.status == "failed"
    # a failing rule is a verdict on the data, not a flaky source: no retry, one run per table
    _, total_after = quality_runs.list_runs(ctx, operator, "src", 10, 0)
    assert total_after == total + 2
