"""The scan stages as workflow step types: discover, profile, classify, lineage, notify.

Bound into the engine's registry at start-up the way a plugin binds its own. ``discover`` and
``lineage`` are one task per source (discovery batches its catalog reads); ``profile`` and
``classify`` fan out into one task per table, view or dataset of the source, so per-source
limits, retries and progress apply object by object. A ``classify`` step with
``incremental: true`` skips objects whose schema and rule set are unchanged since they were
last classified.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from sounding.connectors.base import Profiler
from sounding.domain.auth import workflow_principal
from sounding.domain.profiling import SamplePolicy
from sounding.errors import InvalidInputError, SourceError
from sounding.orchestration.steps import (
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
    TaskSpec,
)
from sounding.services import classification, features, lineage, profiling, scans
from sounding.services.context import Context
from sounding.services.sources import config_for, get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import scanning as scanning_repo

logger = logging.getLogger(__name__)


def _source(config: Any) -> str:
    source = config.get("source")
    if not source:
        raise InvalidInputError("This step needs config.source (a source name)")
    return str(source)


def _objects(ctx: Context, source: str, *, only_unclassified: bool = False) -> list[TaskSpec]:
    """One task per object; ``only_unclassified`` (a classify step's ``incremental: true``)
    keeps only objects whose schema or rule set changed since they were last classified."""
    src = get_row(ctx, source)
    with ctx.db.read() as conn:
        objects = asset_repo.objects_of(conn, src["id"])
        states = scanning_repo.states(conn, src["id"]) if only_unclassified else {}
    if only_unclassified:
        _, rhash = classification.effective_ruleset(ctx, src["id"])
        objects = [o for o in objects if states.get(o["id"]) != (rhash, o["fingerprint"])]
    return [TaskSpec(o["urn"], source=source, payload=o["id"]) for o in objects]


def _object(ctx: Context, asset_id: int) -> dict[str, Any]:
    with ctx.db.read() as conn:
        obj = asset_repo.object_with_columns(conn, asset_id)
    if obj is None:
        raise InvalidInputError(f"Asset {asset_id} no longer exists")
    return obj


def bind(ctx: Context, registry: StepTypeRegistry) -> None:
    """Give the declared scan step types their handlers."""

    def discover(step: StepContext) -> StepPlan:
        source = _source(step.config)

        def run(task: TaskContext) -> dict[str, Any]:
            result = scans.discover(
                ctx, workflow_principal(task.execution_id), source, task.execution_id
            )
            report = result.report
            counts = ("created", "updated", "schema_changed", "deleted", "restored")
            return {
                "scan_id": result.id,
                "status": result.status,
                **{k: report.get(k) for k in counts},
            }

        return StepPlan(run, [TaskSpec("*", source=source)])

    def per_object(step: StepContext, kind: str) -> StepPlan:
        source = _source(step.config)
        policy = SamplePolicy.parse(step.config.get("sample"))

        def run(task: TaskContext) -> dict[str, Any]:
            obj = _object(ctx, int(task.payload))
            src = get_row(ctx, source)
            failures: list[Any] = []
            with ctx.registry.open(config_for(ctx, src)) as connector:
                if not isinstance(connector, Profiler):
                    raise InvalidInputError(f"Source '{source}' cannot be {kind}d")
                if kind == "profile":
                    profiling.profile_object(ctx, connector, obj, policy, None, failures)
                    done: Any = True
                else:
                    ruleset, rhash = classification.effective_ruleset(ctx, src["id"])
                    done = classification.classify_object(
                        ctx, connector, obj, ruleset, rhash, None, failures
                    )
            if failures:
                raise SourceError(failures[0]["error"], source=source)
            return {"object": obj["urn"], kind: done}

        incremental = kind == "classify" and bool(step.config.get("incremental"))
        return StepPlan(run, _objects(ctx, source, only_unclassified=incremental))

    def lineage_step(step: StepContext) -> StepPlan:
        source = _source(step.config)

        def run(task: TaskContext) -> dict[str, Any]:
            views = lineage.refresh_view_lineage(ctx, source)
            return {k: views[k] for k in ("views", "edges_added", "edges_removed")}

        return StepPlan(run, [TaskSpec("*", source=source)])

    def notify(step: StepContext) -> StepPlan:
        url = step.config.get("url")
        if not url:
            raise InvalidInputError("A notify step needs config.url (a webhook)")

        def run(task: TaskContext) -> dict[str, Any]:
            body = {
                "execution_id": task.execution_id,
                "workflow": step.workflow,
                "step": task.step_id,
                "upstream": dict(task.inputs),
                "message": step.config.get("message"),
            }
            resp = httpx.post(str(url), json=body, timeout=float(step.config.get("timeout", 10)))
            resp.raise_for_status()
            return {"status_code": resp.status_code}

        return StepPlan(run, ["*"])

    registry.register("discover", discover, replace=True)
    registry.register("profile", lambda s: per_object(s, "profile"), replace=True)
    registry.register("classify", lambda s: per_object(s, "classify"), replace=True)
    registry.register("lineage", lineage_step, replace=True)
    registry.register("notify", notify, replace=True)
    features.bind_step_types(ctx, registry)  # each feature's own (quality, compliance)
