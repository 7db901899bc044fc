"""``/executions``: recent executions, and one execution's monitor, live over server-sent events.

- ``/executions?workflow=&status=&page=``: executions newest first, filtered, 25 a page.
- ``/executions/{id}``: the DAG coloured by step state (cytoscape.js at server-computed
  positions), per step a progress bar with done/total, failures and ETA, the timeline, the
  event log's tail, a page of task attempts, and pause / resume / cancel / re-run buttons.
- ``/executions/{id}/live``: the live stream. Events from the engine are coalesced and sent
  at most every :data:`INTERVAL` seconds: the first message has every step, later ones only
  the steps that changed; ``static/executions.js`` updates just those parts of the page.
- ``/executions/{id}/tasks``, ``/timeline``, ``/head``: the page's parts as htmx fragments.
- ``POST /executions/{id}/{pause|resume|cancel|retry}``: the API's controls, for runners.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from sounding.domain.auth import Principal
from sounding.domain.execution_views import LogEntry, StepLive
from sounding.domain.executions import ExecutionDetail
from sounding.domain.orchestration import RunEvent
from sounding.domain.timestamps import format_timestamp, to_text
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import execution_views as views
from sounding.services import workflows
from sounding.services.context import Context
from sounding.ui.deps import CtxDep, UiReader, UiRunner
from sounding.ui.render import ENV, SECURITY_HEADERS, render

router = APIRouter(include_in_schema=False)

INTERVAL = 0.25  # seconds: at most one live update per client this often (4 a second)
CHECK_EVERY = 2.0  # seconds of quiet after which the stream checks the execution
FINAL = frozenset({"completed", "failed", "cancelled"})
SETTLE = 0.5  # seconds of quiet after progress before the figures are read as they are
FIRST_STEPS_WAIT = 5.0  # seconds the first message waits for a new execution's steps
ACTIONS = ("pause", "resume", "cancel", "retry")
MAX_ID = 200
MAX_NAME = 200


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.2f} s"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


ENV.filters.setdefault("when", when)
ENV.filters.setdefault("duration", duration)


def _id(value: str) -> str:
    if not value or len(value) > MAX_ID:
        raise NotFoundError("Execution not found", execution_id=value[:MAX_ID])
    return value


def controls(status: str) -> list[tuple[str, str]]:
    """The buttons an execution in ``status`` offers: (action, label)."""
    if status in ("pending", "initializing", "running", "retrying"):
        return [("pause", "Pause"), ("cancel", "Cancel")]
    if status == "paused":
        return [("resume", "Resume"), ("cancel", "Cancel")]
    if status in ("failed", "cancelled"):
        return [("retry", "Re-run from failure")]
    return []


def _head_values(detail: ExecutionDetail) -> dict[str, Any]:
    return {"ex": detail, "controls": controls(detail.status)}


@router.get("/executions")
def executions_list(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    q = request.query_params
    workflow = (q.get("workflow") or "").strip()
    if len(workflow) > MAX_NAME:
        raise InvalidInputError("workflow is too long for a workflow name", field="workflow")
    page = views.check_page(q.get("page"))
    found = views.executions_page(
        ctx, web.principal, workflow=workflow or None, status=q.get("status") or None, page=page
    )
    values = {"found": found, "statuses": views.STATUSES, "workflow": workflow}
    return render(request, "executions/list.html", values, web=web)


def _tasks(request: Request, ctx: Context, who: Principal, execution_id: str) -> Any:
    q = request.query_params
    step = (q.get("step") or "").strip()[:MAX_NAME] or None
    return views.task_page(
        ctx,
        who,
        execution_id,
        status=q.get("tstatus") or None,
        step=step,
        page=views.check_page(q.get("tpage"), "tpage"),
    )


@router.get("/executions/{execution_id}")
def execution_page(request: Request, ctx: CtxDep, web: UiReader, execution_id: str) -> Response:
    detail = workflows.get_execution(ctx, web.principal, _id(execution_id))
    tasks = _tasks(request, ctx, web.principal, detail.id)
    graph = views.execution_dag(ctx, web.principal, detail.id)
    status_of = {s.id: s.status for s in detail.steps}
    log = views.log_tail(ctx, web.principal, detail.id)
    data = {
        "id": detail.id,
        "status": detail.status,
        "live": f"/executions/{detail.id}/live",
        "after": log[-1].seq if log else 0,
        "nodes": [
            {"id": n.id, "type": n.type, "x": n.x, "y": n.y, "status": status_of.get(n.id)}
            for n in graph.nodes
        ],
        "edges": [{"source": e.source, "target": e.target} for e in graph.edges],
    }
    values = {
        **_head_values(detail),
        "tasks": tasks,
        "timeline": views.timeline(ctx, web.principal, detail),
        "log": log,
        "data": data,
        "statuses": views.STATUSES,
    }
    return render(request, "executions/page.html", values, web=web)


def _fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/executions/{execution_id}/tasks")
def execution_tasks(request: Request, ctx: CtxDep, web: UiReader, execution_id: str) -> Response:
    """One page of the task table (an htmx fragment; the page without htmx)."""
    if not _fragment(request):
        query = request.url.query
        return RedirectResponse(f"/executions/{execution_id}" + (f"?{query}" if query else ""), 303)
    tasks = _tasks(request, ctx, web.principal, _id(execution_id))
    values = {"ex_id": execution_id, "tasks": tasks, "statuses": views.STATUSES}
    return render(request, "executions/_tasks.html", values, web=web)


@router.get("/executions/{execution_id}/timeline")
def execution_timeline(request: Request, ctx: CtxDep, web: UiReader, execution_id: str) -> Response:
    detail = workflows.get_execution(ctx, web.principal, _id(execution_id))
    if not _fragment(request):
        return RedirectResponse(f"/executions/{detail.id}", 303)
    values = {"ex": detail, "timeline": views.timeline(ctx, web.principal, detail)}
    return render(request, "executions/_timeline.html", values, web=web)


@router.get("/executions/{execution_id}/head")
def execution_head(request: Request, ctx: CtxDep, web: UiReader, execution_id: str) -> Response:
    detail = workflows.get_execution(ctx, web.principal, _id(execution_id))
    if not _fragment(request):
        return RedirectResponse(f"/executions/{detail.id}", 303)
    return render(request, "executions/_head.html", _head_values(detail), web=web)


@router.post("/executions/{execution_id}/{action}")
async def execution_control(
    request: Request, ctx: CtxDep, web: UiRunner, execution_id: str, action: str
) -> Response:
    """Pause, resume, cancel or re-run from failure; the header with the new status comes
    back at once (an htmx fragment; a redirect to the page for a plain form)."""
    if action not in ACTIONS:
        raise NotFoundError(f"No such action {action[:40]!r}; use one of: {', '.join(ACTIONS)}")
    detail = await run_in_threadpool(
        workflows.control, ctx, web.principal, _id(execution_id), action
    )
    if not _fragment(request):
        return RedirectResponse(f"/executions/{detail.id}", 303)
    return render(request, "executions/_head.html", _head_values(detail), web=web)


# --- the live stream --------------------------------------------------------------------------


def _step_json(s: StepLive) -> dict[str, Any]:
    return {
        "id": s.id,
        "status": s.status,
        "done": s.done,
        "failed": s.failed,
        "total": s.total,
        "percent": s.percent,
        "eta": s.eta_seconds,
    }


def _log_json(e: LogEntry) -> dict[str, Any]:
    return {"seq": e.seq, "at": format_timestamp(e.at), "kind": e.kind, "message": e.message}


def _message(
    steps: list[StepLive], status: str | None, log: list[LogEntry], final: bool, seq: int
) -> str:
    data = {
        "steps": [_step_json(s) for s in steps],
        "status": status,
        "log": [_log_json(e) for e in log],
        "final": final,
        "sent": time.time(),
    }
    return f"id: {seq}\nevent: update\ndata: {json.dumps(data, default=to_text)}\n\n"


def _after(request: Request) -> int:
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidInputError("after must be an event number", field="after")
    return int(raw)


async def _batches(
    request: Request, ctx: Context, who: Principal, execution_id: str, after: int
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[RunEvent] = asyncio.Queue()

    def push(event: RunEvent) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, event)

    remove = await run_in_threadpool(workflows.listen, ctx, who, execution_id, push)
    try:
        detail = await run_in_threadpool(workflows.get_execution, ctx, who, execution_id)
        # an execution just submitted may not have its steps in the store yet (the engine
        # commits its writes in groups): the first message has every step, so wait for them
        deadline = loop.time() + FIRST_STEPS_WAIT
        while not detail.steps and detail.status not in FINAL and loop.time() < deadline:
            await asyncio.sleep(0.05)
            detail = await run_in_threadpool(workflows.get_execution, ctx, who, execution_id)
        log = await run_in_threadpool(views.log_since, ctx, execution_id, after)
        batch = views.LiveBatch(last_seq=log[-1].seq if log else after)
        final = detail.status in FINAL
        yield _message(views.live_steps(detail), detail.status, log, final, batch.last_seq)
        if final:
            return
        sent = loop.time()
        async for message in _coalesced(request, queue, batch, sent):
            if message not in (SETTLED, CHECK):
                yield message
                continue
            now = await run_in_threadpool(workflows.get_execution, ctx, who, execution_id)
            ended = now.status in FINAL
            if ended:  # its last events never came: say so from the store, and stop
                log = await run_in_threadpool(views.log_since, ctx, execution_id, batch.last_seq)
                seq = log[-1].seq if log else batch.last_seq
                yield _message(views.live_steps(now), now.status, log, True, seq)
                return
            # the figures as they are now, after progress went quiet (SETTLED) and on every
            # quiet check: the engine drops progress events that come too close together, so
            # the last ones before a pause may only show up here
            yield _message(views.live_steps(now), None, [], False, batch.last_seq)
    finally:
        remove()


SETTLED = "settled"  # quiet after progress: send the figures as they are now
CHECK = "check"  # quiet: make sure the execution has not ended unseen


async def _coalesced(
    request: Request, queue: asyncio.Queue[RunEvent], batch: views.LiveBatch, sent: float
) -> AsyncIterator[str]:
    """Wait for an event, gather everything else until ``INTERVAL`` after the last send,
    then hand out one message; stop after the final status.

    The engine drops a step's progress events that come within its interval of the previous
    one, so the last figures before a quiet spell (a pause, a slow task) may never be
    published: after ``SETTLE`` seconds of quiet following progress this hands out
    :data:`SETTLED`, and after ``CHECK_EVERY`` seconds of any quiet :data:`CHECK`; the
    caller reads the execution then (and ends the stream if it has finished)."""
    loop = asyncio.get_running_loop()
    settle_due = False
    while True:
        try:
            wait = SETTLE if settle_due else CHECK_EVERY
            batch.add(await asyncio.wait_for(queue.get(), wait))
        except TimeoutError:
            if await request.is_disconnected():
                return
            yield SETTLED if settle_due else CHECK
            settle_due = False
            sent = loop.time()
            continue
        while (left := sent + INTERVAL - loop.time()) > 0 and not batch.final:
            try:
                batch.add(await asyncio.wait_for(queue.get(), left))
            except TimeoutError:
                break
        while not queue.empty():
            batch.add(queue.get_nowait())
        if batch.empty():
            continue
        settle_due = bool(batch.steps) and not batch.final
        steps, status, log, final = batch.take()
        yield _message(steps, status, log, final, batch.last_seq)
        sent = loop.time()
        if final or await request.is_disconnected():
            return


@router.get("/executions/{execution_id}/live")
async def execution_live(
    request: Request, ctx: CtxDep, web: UiReader, execution_id: str
) -> StreamingResponse:
    """Server-sent events ``update``: changed step figures, the execution's status and new log
    lines, at most every ``INTERVAL`` seconds; the first has every step."""
    after = _after(request)
    stream = _batches(request, ctx, web.principal, _id(execution_id), after)
    first = await anext(stream)  # a 404 before the response starts

    async def body() -> AsyncIterator[str]:
        yield first
        async for item in stream:
            yield item

    headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
