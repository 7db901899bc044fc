"""What the web UI's execution monitor reads: the DAG laid out, a page of tasks, the timeline,
the event log's tail, a page of executions, and the live figures batched for a browser.

Every read is bounded whatever the size of the execution (see ``store/repos/run_views.py``);
the live figures come from the same ``progress`` events the API streams
(:func:`sounding.services.workflows.listen`), coalesced by :class:`LiveBatch` so a client gets
at most a few updates a second.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.execution_views import (
    DagEdge,
    DagNode,
    ExecutionDag,
    ExecutionsPage,
    LogEntry,
    StepLive,
    TaskPage,
    TaskRow,
    Timeline,
    TimelineBar,
)
from sounding.domain.executions import ExecutionDetail, ExecutionSummary
from sounding.domain.orchestration import EventKind, ExecutionRecord, RunEvent, RunStatus
from sounding.errors import InvalidInputError
from sounding.services import workflows
from sounding.services.context import Context
from sounding.store.repos import orchestration as runs_repo
from sounding.store.repos import run_views as repo
from sounding.store.run_storage import RunReads

logger = logging.getLogger(__name__)

TASK_PAGE = 50
MAX_PAGE = 100_000
WINDOW = 60  # the timeline's window: the latest task attempts
LOG_TAIL = 40
RESULT_CHARS = 160
EXECUTIONS_PAGE = 25
STATUSES = tuple(s.value for s in RunStatus)
NODE_W, NODE_H, GAP_X, GAP_Y = 180.0, 56.0, 40.0, 44.0


def check_status(value: str | None) -> str | None:
    if not value:
        return None
    if value not in STATUSES:
        raise InvalidInputError(
            f"Unknown status {value[:40]!r}; choose one of: {', '.join(STATUSES)}",
            field="status",
        )
    return value


def check_page(value: str | int | None, name: str = "page") -> int:
    text = str(value if value is not None else "1").strip() or "1"
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidInputError(f"{name} must be a page number from 1 to {MAX_PAGE}", field=name)
    return int(text)


# --- the DAG ----------------------------------------------------------------------------------


def dag(spec: Mapping[str, Any]) -> ExecutionDag:
    """The workflow's steps in layers, top to bottom (a step one layer below its furthest
    upstream step), left to right within a layer; sequential and pipeline workflows without
    ``depends_on`` chain their steps in order."""
    steps = [s for s in spec.get("steps", []) if isinstance(s, Mapping) and s.get("id")]
    ids = [str(s["id"]) for s in steps]
    known = set(ids)
    deps: dict[str, list[str]] = {}
    chained = spec.get("strategy") in ("sequential", "pipeline")
    for i, s in enumerate(steps):
        raw = s.get("depends_on") or []
        listed = [raw] if isinstance(raw, str) else [str(d) for d in raw if isinstance(d, str)]
        if not listed and chained and i > 0:
            listed = [ids[i - 1]]
        deps[ids[i]] = [d for d in listed if d in known]
    layer: dict[str, int] = {}

    def depth(step_id: str, seen: frozenset[str]) -> int:
        if step_id in layer:
            return layer[step_id]
        if step_id in seen:  # a cycle (never stored, but never loop on one)
            return 0
        value = max((depth(d, seen | {step_id}) + 1 for d in deps[step_id]), default=0)
        layer[step_id] = value
        return value

    rows: dict[int, int] = {}
    nodes = []
    for s, step_id in zip(steps, ids, strict=True):
        col = depth(step_id, frozenset())
        row = rows.get(col, 0)
        rows[col] = row + 1
        nodes.append(
            DagNode(
                id=step_id,
                type=str(s.get("type", "")),
                layer=col,
                x=row * (NODE_W + GAP_X) + NODE_W / 2,
                y=col * (NODE_H + GAP_Y) + NODE_H / 2,
            )
        )
    edges = tuple(DagEdge(d, step_id) for step_id in ids for d in deps[step_id])
    return ExecutionDag(nodes=tuple(nodes), edges=edges)


def execution_dag(ctx: Context, actor: Principal, execution_id: str) -> ExecutionDag:
    """The DAG of the workflow document the execution started with."""
    actor.require(Permission.CATALOG_READ)
    return dag(RunReads(ctx.db).get_execution(execution_id).spec)


# --- tasks, timeline, log ---------------------------------------------------------------------


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _result_text(result: Any) -> str | None:
    if result is None:
        return None
    text = json.dumps(result, default=str, ensure_ascii=False)
    return text if len(text) <= RESULT_CHARS else text[: RESULT_CHARS - 1] + "…"


def task_page(
    ctx: Context,
    actor: Principal,
    execution_id: str,
    *,
    status: str | None = None,
    step: str | None = None,
    page: int = 1,
    size: int = TASK_PAGE,
) -> TaskPage:
    """One page of task attempts, newest first; ``status`` and ``step`` filter."""
    actor.require(Permission.CATALOG_READ)
    status = check_status(status)
    with ctx.db.read() as conn:
        if runs_repo.execution_status(conn, execution_id) is None:
            workflows.get_execution(ctx, actor, execution_id)  # raises the API's 404
        counts = repo.count_attempts(conn, execution_id, step)
        total = counts.get(status, 0) if status else sum(counts.values())
        pages = max(1, math.ceil(total / size))
        page = min(page, pages)
        found = repo.page_attempts(
            conn,
            execution_id,
            statuses=[status] if status else list(counts),
            step_id=step,
            limit=size,
            offset=(page - 1) * size,
        )
    rows = tuple(
        TaskRow(
            step_id=a.step_id,
            task_key=a.task_key,
            attempt=a.attempt,
            status=a.status.value,
            source=a.source,
            started_at=a.started_at,
            finished_at=a.finished_at,
            seconds=_seconds(a.started_at, a.finished_at),
            error=(a.error or "")[:300] or None,
            result=_result_text(a.result),
        )
        for a in found
    )
    return TaskPage(rows, total, counts, page, pages, size, status, step)


def timeline(ctx: Context, actor: Principal, detail: ExecutionDetail) -> Timeline:
    """One bar per step over the execution, and the latest ``WINDOW`` tasks on their own scale."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        latest = repo.latest_attempts(conn, detail.id, WINDOW)
    now = datetime.now(UTC)
    start = detail.started_at or min(
        (s.started_at for s in detail.steps if s.started_at), default=None
    )
    if start is None:
        return Timeline(None, 0.0, (), (), 0.0, None)
    end = detail.finished_at or now
    bars = []
    for step in detail.steps:
        first = step.started_at
        if first is None:
            continue
        last = step.finished_at or end
        bars.append(
            TimelineBar(
                label=step.id,
                step_id=step.id,
                status=step.status,
                offset=max(0.0, (first - start).total_seconds()),
                seconds=max(0.0, (last - first).total_seconds()),
                tasks=step.tasks_total,
            )
        )
    window: list[TimelineBar] = []
    w_start = min((a.started_at for a in latest), default=None)
    w_span = 0.0
    if w_start is not None:
        w_end = max((a.finished_at or now for a in latest), default=now)
        w_span = max(0.001, (w_end - w_start).total_seconds())
        for a in reversed(latest):  # oldest of the window first
            window.append(
                TimelineBar(
                    label=f"{a.step_id}/{a.task_key}" + (f" #{a.attempt}" if a.attempt > 1 else ""),
                    step_id=a.step_id,
                    status=a.status.value,
                    offset=(a.started_at - w_start).total_seconds(),
                    seconds=((a.finished_at or now) - a.started_at).total_seconds(),
                    tasks=1,
                )
            )
    span_s = max(0.001, (end - start).total_seconds())
    return Timeline(start, span_s, tuple(bars), tuple(window), w_span, w_start)


def describe(event: RunEvent) -> str:
    """A stored event in words."""
    data = event.data or {}
    where = event.step_id or "execution"
    if event.task_key:
        where += f"/{event.task_key}"
    status = event.status.value if event.status else ""
    if event.kind is EventKind.EXECUTION_STATUS:
        text = f"Execution {status}"
    elif event.kind is EventKind.STEP_STATUS:
        text = f"Step {where} {status}"
    elif event.kind is EventKind.TASK_FAILED:
        text = f"Task {where} failed"
    elif event.kind is EventKind.TASK_RETRYING:
        text = f"Task {where} will be retried"
    elif event.kind is EventKind.CONCURRENCY_ADJUSTED:
        text = f"Concurrency of {where} adjusted"
    elif event.kind is EventKind.CANCEL_REQUESTED:
        text = "Cancel requested"
    else:
        text = f"{event.kind.value} {where} {status}".strip()
    detail = data.get("error") or data.get("reason") or data.get("message")
    if isinstance(detail, str) and detail:
        text += f": {detail[:300]}"
    return text


def log_entry(event: RunEvent) -> LogEntry:
    return LogEntry(
        seq=event.seq or 0,
        at=event.at,
        kind=event.kind.value,
        step_id=event.step_id,
        task_key=event.task_key,
        status=event.status.value if event.status else None,
        message=describe(event),
    )


def log_tail(ctx: Context, actor: Principal, execution_id: str) -> list[LogEntry]:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        events = repo.tail_events(conn, execution_id, LOG_TAIL)
    return [log_entry(e) for e in events]


def log_since(ctx: Context, execution_id: str, after: int) -> list[LogEntry]:
    """Stored events after ``after`` (the last ``LOG_TAIL`` of them)."""
    with ctx.db.read() as conn:
        events = runs_repo.list_events(conn, execution_id, after=after)
    return [log_entry(e) for e in events[-LOG_TAIL:]]


# --- a page of executions ---------------------------------------------------------------------


def _summary(record: ExecutionRecord) -> ExecutionSummary:
    return ExecutionSummary(
        id=record.id,
        workflow=record.workflow,
        status=record.status.value,
        params={},
        trigger=record.trigger,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        error=record.error,
        steps=[],
    )


def executions_page(
    ctx: Context,
    actor: Principal,
    *,
    workflow: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = EXECUTIONS_PAGE,
) -> ExecutionsPage:
    actor.require(Permission.CATALOG_READ)
    status = check_status(status)
    statuses = [RunStatus(status)] if status else None
    with ctx.db.read() as conn:
        found = repo.page_executions(
            conn, statuses=statuses, workflow=workflow, limit=size + 1, offset=(page - 1) * size
        )
    items = tuple(_summary(r) for r in found[:size])
    return ExecutionsPage(items, page, size, len(found) > size, workflow, status)


# --- live figures, batched --------------------------------------------------------------------


@dataclass
class LiveBatch:
    """Events gathered between two sends: the newest figures per step, the execution's
    status and the stored events for the log. ``take`` empties it."""

    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: str | None = None
    log: list[LogEntry] = field(default_factory=list)
    final: bool = False
    last_seq: int = 0

    def add(self, event: RunEvent) -> None:
        """Take in one event. A stored event already sent (its ``seq`` at most ``last_seq``)
        is not logged twice, but its status still counts: events come in the order they
        happened, so the newest status wins."""
        if event.seq is not None and event.seq > self.last_seq:
            self.last_seq = event.seq
            self.log.append(log_entry(event))
        if event.kind is EventKind.PROGRESS and event.step_id:
            self.steps.setdefault(event.step_id, {}).update(event.data)
        elif event.kind is EventKind.STEP_STATUS and event.step_id and event.status:
            entry = self.steps.setdefault(event.step_id, {})
            entry["status"] = event.status.value
        elif event.kind is EventKind.EXECUTION_STATUS and event.status:
            self.status = event.status.value
            self.final = workflows.is_final(event)

    def empty(self) -> bool:
        return not self.steps and self.status is None and not self.log

    def take(self) -> tuple[list[StepLive], str | None, list[LogEntry], bool]:
        steps = [
            StepLive(
                id=step_id,
                status=d.get("status"),
                done=d.get("done"),
                failed=d.get("failed"),
                total=d.get("total"),
                percent=d.get("percent"),
                eta_seconds=d.get("eta_seconds"),
            )
            for step_id, d in self.steps.items()
        ]
        out = (steps, self.status, self.log[-LOG_TAIL:], self.final)
        self.steps, self.status, self.log = {}, None, []
        return out


def live_steps(detail: ExecutionDetail) -> list[StepLive]:
    """Every step's figures now: the first message of a live stream."""
    return [
        StepLive(
            s.id, s.status, s.tasks_done, s.tasks_failed, s.tasks_total, s.percent, s.eta_seconds
        )
        for s in detail.steps
    ]
