"""The ``quality`` workflow step: one task per table of the source that has active rules.

Config: ``source`` (required). Each task runs the table's rules (one run per task, as
``sounding quality run SOURCE --asset URN`` does) and fails when a rule of severity ``error``
fails and ``fail_on_error: true`` is set; otherwise failing rules are results, not task
failures.
"""

from __future__ import annotations

from typing import Any

from sounding.domain.auth import workflow_principal
from sounding.errors import InvalidInputError, SourceError
from sounding.features.quality import repo
from sounding.features.quality import runs as quality_runs
from sounding.orchestration.steps import (
    StepContext,
    StepPlan,
    TaskContext,
    TaskSpec,
)
from sounding.services.context import Context
from sounding.services.sources import get_row


class QualityRulesFailedError(SourceError):
    """Rules of severity ``error`` failed (``fail_on_error``): the data is wrong, not the
    source flaky, so another attempt would read the same rows and fail the same way."""

    retryable = False


def _tasks(ctx: Context, source: str) -> list[TaskSpec]:
    src = get_row(ctx, source)
    with ctx.db.read() as conn:
        rules, _ = repo.list_rules(conn, source_id=src["id"], status="active")
    tables = {r["asset_id"]: r["asset_urn"] for r in rules}
    return [TaskSpec(urn, source=source, payload=urn) for _, urn in sorted(tables.items())]


def plan_quality(ctx: Context, step: StepContext) -> StepPlan:
    """The ``quality`` step's plan: one task per table of the source with active rules."""
    source = step.config.get("source")
    if not source:
        raise InvalidInputError("A quality step needs config.source (a source name)")
    strict = bool(step.config.get("fail_on_error"))

    def run(task: TaskContext) -> dict[str, Any]:
        actor = workflow_principal(task.execution_id)
        result = quality_runs.run_quality(ctx, actor, str(source), str(task.payload))
        failed = [
            r.rule or str(r.rule_id)
            for r in result.results
            if r.passed is False and r.severity == "error"
        ]
        if result.error:
            raise SourceError(result.error, source=source)
        if strict and failed:
            raise QualityRulesFailedError(
                f"{task.payload}: {len(failed)} quality rule(s) failed: {', '.join(failed)}",
                source=source,
            )
        return {
            "object": task.payload,
            "run_id": result.id,
            "passed": result.rules_passed,
            "failed": result.rules_failed,
            "errored": result.rules_errored,
        }

    return StepPlan(run, _tasks(ctx, str(source)))
