"""A read-only snapshot of what an engine has in flight: queued and running tasks, per source
and per execution, with the limits that apply. ``Engine.load()`` takes it on the event loop from
each execution's core (pure: reads state, no I/O)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sounding.domain.orchestration import RunStatus, Strategy
from sounding.orchestration.config import EngineConfig
from sounding.orchestration.core import ExecutionCore

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StepLoad:
    id: str
    status: str
    done: int  # tasks ended (completed, failed or cancelled)
    failed: int
    total: int  # tasks known so far (held ones included)
    total_known: bool  # every task of the step is known


@dataclass(slots=True)
class ExecutionLoad:
    id: str
    workflow: str
    status: str
    strategy: str
    queued: int
    retry_wait: int  # failed attempts waiting for their back-off before another try
    running: int
    per_source_limit: dict[str, int | None]  # this execution's cap per source it uses
    steps: list[StepLoad] = field(default_factory=list)
    elapsed_seconds: float = 0.0  # since this process started or resumed it


@dataclass(slots=True)
class SourceLoadNow:
    source: str
    running: int = 0
    queued: int = 0
    limit: int | None = None  # across executions (engine config); None = no cap


@dataclass(slots=True)
class EngineLoad:
    started: bool
    executor: str
    max_concurrency: int | None
    queued: int
    retry_wait: int
    running: int
    executions: list[ExecutionLoad]
    sources: list[SourceLoadNow]


def measure_load(
    runs: Iterable[tuple[ExecutionCore, float]],
    config: EngineConfig,
    source_limit: Callable[[str], int | None],
    *,
    started: bool,
    executor: str,
    now_mono: float,
) -> EngineLoad:
    executions: list[ExecutionLoad] = []
    sources: dict[str, SourceLoadNow] = {}
    for run, started_mono in runs:
        load = ExecutionLoad(
            id=run.id,
            workflow=run.spec.name,
            status=run.record.status.value,
            strategy=run.spec.strategy.value,
            queued=0,
            retry_wait=0,
            running=0,
            per_source_limit={},
            elapsed_seconds=max(0.0, now_mono - started_mono),
        )
        for s in run.order:
            load.steps.append(
                StepLoad(
                    s.id,
                    s.status.value,
                    s.done + s.failed + s.cancelled,
                    s.failed,
                    len(s.tasks) + len(s.held),
                    s.planned or s.finished,
                )
            )
            for task in s.tasks.values():
                source = task.spec.source or s.spec.source
                slot = None
                if source is not None:
                    slot = sources.setdefault(
                        source,
                        SourceLoadNow(
                            source,
                            limit=source_limit(source),
                        ),
                    )
                    load.per_source_limit[source] = _execution_cap(run, source)
                if task.status is RunStatus.RUNNING:
                    load.running += 1
                    if slot is not None:
                        slot.running += 1
                elif task.status is RunStatus.PENDING:
                    if task.retry_wait:
                        load.retry_wait += 1
                    else:
                        load.queued += 1
                        if slot is not None:
                            slot.queued += 1
        executions.append(load)
    return EngineLoad(
        started=started,
        executor=executor,
        max_concurrency=config.max_concurrency,
        queued=sum(e.queued for e in executions),
        retry_wait=sum(e.retry_wait for e in executions),
        running=sum(e.running for e in executions),
        executions=executions,
        sources=sorted(sources.values(), key=lambda x: x.source),
    )


def _execution_cap(run: ExecutionCore, source: str) -> int | None:
    if run.spec.strategy is Strategy.ADAPTIVE and source in run.controllers:
        return run.controllers[source].capacity
    return run.spec.limits.per_source
