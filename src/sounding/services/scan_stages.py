"""The scan pipeline, defined once as data: an ordered tuple of stages.

A scan is ``discover``, then ``profile`` and ``classify`` when its options ask for them, and
``lineage`` (views read tables: their lineage follows the catalog; on unless the options turn
it off). :data:`STAGES` says, per
stage, whether a scan's options want it, which earlier stage it waits for, what its step config
holds and how it runs in-process. The two ways a scan runs both read it:

- ``scan_workflows.scan_spec`` turns the wanted stages into the steps of the workflow
  ``scan:NAME``: what ``POST /api/v1/scans``, ``POST /api/v1/sources/{name}/scans`` and
  ``sounding scan`` start (the step types are in ``step_types``);
- :func:`run_inline` runs the stages after ``discover`` in the calling thread, after a
  discovery that ``scans.run_scan`` ran there (the library call tests and benchmarks use).

Adding a stage is one entry here plus its step type.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sounding.domain.profiling import SamplePolicy
from sounding.domain.scans import ScanOptions, ScanReport
from sounding.errors import SoundingError
from sounding.services import lineage
from sounding.services.classification import classify_source
from sounding.services.context import Context
from sounding.services.profiling import profile_source

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
WORKFLOW_PREFIX = "scan:"  # a scan of source NAME is an execution of the workflow scan:NAME


@dataclass(frozen=True, slots=True)
class StageRun:
    """One in-process run of the stages after a discovery."""

    ctx: Context
    source: str
    scan_id: int
    options: ScanOptions
    report: ScanReport
    progress: Progress | None = None

    def tick(self, stage: str) -> Callable[[int, int], None]:
        def tick(done: int, total: int) -> None:
            if self.progress:
                self.progress(stage, done, total)

        return tick


@dataclass(frozen=True, slots=True)
class ScanStage:
    """One stage: ``name`` is its step id and step type."""

    name: str
    wanted: Callable[[ScanOptions], bool]
    after: tuple[str, ...]  # waits for the first of these the scan has (nearest first)
    config: Callable[[ScanOptions], dict[str, Any]]
    run: Callable[[StageRun], None] | None  # in-process; None for discovery itself


def _always(options: ScanOptions) -> bool:
    return True


def _no_config(options: ScanOptions) -> dict[str, Any]:
    return {}


def _sample(options: ScanOptions) -> dict[str, Any]:
    return {"sample": options.sample}


def _record(run: StageRun, name: str, result: dict[str, Any]) -> None:
    for failure in result.get("failures", []):
        run.report.fail(failure["target"], failure["error"], f"{name}_failed")
    run.report.stages[name] = {k: v for k, v in result.items() if k != "failures"}


def _profile(run: StageRun) -> None:
    policy = SamplePolicy.parse(run.options.sample)
    result = profile_source(run.ctx, run.source, policy, run.scan_id, run.tick("profile"))
    _record(run, "profile", result)


def _classify(run: StageRun) -> None:
    result = classify_source(run.ctx, run.source, run.scan_id, run.tick("classify"))
    _record(run, "classify", result)


def _lineage(run: StageRun) -> None:
    rep = run.report
    if not any((rep.created, rep.updated, rep.schema_changed, rep.deleted, rep.restored)):
        return  # nothing changed: the views' lineage cannot have either
    for problem in lineage.refresh_view_lineage(run.ctx, run.source)["problems"]:
        rep.warn("lineage", problem)


STAGES: tuple[ScanStage, ...] = (
    ScanStage("discover", _always, (), _no_config, None),
    ScanStage("profile", lambda o: o.profile, ("discover",), _sample, _profile),
    ScanStage("classify", lambda o: o.classify, ("profile", "discover"), _no_config, _classify),
    ScanStage("lineage", lambda o: o.lineage, ("discover",), _no_config, _lineage),
)


def wanted(options: ScanOptions) -> list[ScanStage]:
    """The stages a scan with these options runs, in order."""
    return [stage for stage in STAGES if stage.wanted(options)]


def run_inline(run: StageRun) -> None:
    """Run the wanted stages after discovery in this thread; a failing stage is a failure in
    the report, not a crash."""
    for stage in wanted(run.options):
        if stage.run is None:
            continue
        try:
            stage.run(run)
        except SoundingError as exc:
            run.report.fail(stage.name, exc.message, type(exc).__name__)
