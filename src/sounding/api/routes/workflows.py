"""/api/v1/orchestrations and /api/v1/executions, with live events (SSE and WebSocket)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import (
    Header,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from sounding.api.deps import CtxDep, Reader, Runner
from sounding.api.errors import websocket_close_code
from sounding.api.etags import IfMatch, tagged
from sounding.api.paging import Limit, Sequence
from sounding.api.routing import api_router
from sounding.api.schemas.workflows import (
    ExecutionCreate,
    ExecutionList,
    ExecutionPublic,
    WorkflowApplied,
    WorkflowList,
    WorkflowPublic,
    WorkflowUpdate,
)
from sounding.domain.auth import Permission, Principal
from sounding.domain.executions import ExecutionDetail, StoredWorkflow, StoredWorkflowApplied
from sounding.domain.orchestration import RunEvent, RunStatus
from sounding.domain.timestamps import to_text
from sounding.errors import SoundingError
from sounding.features.accounts import service as accounts
from sounding.services import scheduler, workflows
from sounding.services.context import Context

router = api_router(tags=["orchestration"])


@router.get("/orchestrations", response_model=WorkflowList)
def list_orchestrations(ctx: CtxDep, who: Reader) -> dict[str, Any]:
    items = workflows.list_workflows(ctx, who)
    return {"items": items, "total": len(items)}


_WORKFLOW_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/orchestrations",
    status_code=201,
    openapi_extra=_WORKFLOW_BODY,
    response_model=WorkflowApplied,
)
async def apply_orchestration(
    ctx: CtxDep, who: Runner, request: Request, response: Response, if_match: IfMatch
) -> StoredWorkflowApplied:
    """Create or update a workflow: the document as JSON, or as YAML text with
    ``Content-Type: application/yaml``. 422 names every problem (structure, unknown sources,
    pools and resources, a notify step without a URL). With ``If-Match``, only replace the
    stored one if it is still at that ETag."""
    body = await request.body()
    kind = request.headers.get("content-type", "")
    result: StoredWorkflowApplied = await run_in_threadpool(
        workflows.apply_workflow_body, ctx, who, body, kind, if_match
    )
    return tagged(response, result)


@router.patch("/orchestrations/{name}", response_model=WorkflowPublic)
def update_orchestration(
    ctx: CtxDep, who: Runner, name: str, body: WorkflowUpdate
) -> StoredWorkflow:
    """Enable or disable a workflow: a disabled one's schedule ticks and triggers start
    nothing (manual runs still work)."""
    return workflows.set_enabled(ctx, who, name, body.enabled)


@router.get("/orchestrations/{name}", response_model=WorkflowPublic)
def get_orchestration(ctx: CtxDep, who: Reader, response: Response, name: str) -> StoredWorkflow:
    return tagged(response, workflows.get_workflow(ctx, who, name))


@router.delete("/orchestrations/{name}", status_code=204)
def delete_orchestration(ctx: CtxDep, who: Runner, name: str, if_match: IfMatch) -> Response:
    workflows.delete_workflow(ctx, who, name, if_match=if_match)
    return Response(status_code=204)


@router.post("/orchestrations/{name}/execute", status_code=202, response_model=ExecutionPublic)
def execute(
    ctx: CtxDep, who: Runner, name: str, body: ExecutionCreate | None = None
) -> ExecutionDetail:
    return workflows.execute(ctx, who, name, body.params if body else None)


@router.post("/orchestrations/{name}/webhook", status_code=202, response_model=ExecutionPublic)
def webhook(
    ctx: CtxDep,
    name: str,
    x_sounding_secret: Annotated[str | None, Header()] = None,
) -> ExecutionDetail:
    """Start a workflow that declares a ``webhook`` trigger; authenticated by the trigger's
    secret in ``X-Sounding-Secret`` (no API token: the caller is another system)."""
    return scheduler.webhook(ctx, name, x_sounding_secret)


@router.get("/executions", response_model=ExecutionList)
def list_executions(
    ctx: CtxDep,
    who: Reader,
    workflow: str | None = None,
    status: RunStatus | None = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    items = workflows.list_executions(ctx, who, workflow, status, limit)
    return {"items": items, "total": len(items)}


@router.get("/executions/{execution_id}", response_model=ExecutionPublic)
def get_execution(ctx: CtxDep, who: Reader, execution_id: str) -> ExecutionDetail:
    return workflows.get_execution(ctx, who, execution_id)


def _control(action: str) -> Any:
    def endpoint(ctx: CtxDep, who: Runner, execution_id: str) -> ExecutionDetail:
        return workflows.control(ctx, who, execution_id, action)

    endpoint.__name__ = f"{action}_execution"
    endpoint.__doc__ = f"{action.capitalize()} an execution."
    return endpoint


for _action in ("pause", "resume", "cancel", "retry"):
    router.post(f"/executions/{{execution_id}}/{_action}", response_model=ExecutionPublic)(
        _control(_action)
    )


STORE_POLL = 1.0  # seconds between reads of the stored events of an execution run elsewhere
KEEP_ALIVE = 15.0  # seconds of silence before a keep-alive


async def _events(
    ctx: Context, who: Principal, execution_id: str, after: int
) -> AsyncIterator[dict[str, Any] | None]:
    """Stored events after ``after``, then live ones; ``None`` every 15 s of silence. An
    execution another server runs (several servers on one store) has no live events here: its
    stored events are read every second instead. The stream ends with the execution's final
    event; asked for what follows an ended execution's last event, it yields nothing."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[RunEvent] = asyncio.Queue()

    def push(event: RunEvent) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, event)

    remove = await run_in_threadpool(workflows.listen, ctx, who, execution_id, push)
    try:
        last = after
        for ev in await run_in_threadpool(workflows.events_since, ctx, execution_id, after):
            last = ev.seq or last
            yield workflows.event_dict(ev)
            if workflows.is_final(ev):
                return
        if await run_in_threadpool(workflows.has_ended, ctx, execution_id):
            # ended before (or while) the stored events were read: what it wrote last is
            # all there is, and a reconnecting client must not wait for more
            for ev in await run_in_threadpool(workflows.events_since, ctx, execution_id, last):
                yield workflows.event_dict(ev)
            return
        silent = 0.0
        while True:
            try:
                ev = await asyncio.wait_for(queue.get(), STORE_POLL)
            except TimeoutError:
                if not await run_in_threadpool(workflows.runs_here, ctx, execution_id):
                    stored = await run_in_threadpool(
                        workflows.events_since, ctx, execution_id, last
                    )
                    for ev in stored:
                        last = ev.seq or last
                        yield workflows.event_dict(ev)
                        if workflows.is_final(ev):
                            return
                    if stored:
                        silent = 0.0
                        continue
                silent += STORE_POLL
                if silent >= KEEP_ALIVE:
                    silent = 0.0
                    yield None
                continue
            if ev.seq is not None:
                if ev.seq <= last:
                    continue
                last = ev.seq
            silent = 0.0
            yield workflows.event_dict(ev)
            if workflows.is_final(ev):
                return
    finally:
        remove()


# a stream of `id:`/`event:`/`data:` records (docs/api.md), not one document: no body schema
_SSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-sent events", "content": {"text/event-stream": {}}},
    204: {
        "description": "The execution has ended and has no events after `after` (an "
        "EventSource does not reconnect after a 204)"
    },
}


@router.get("/executions/{execution_id}/events", response_class=StreamingResponse, responses=_SSE)
async def execution_events(
    request: Request, ctx: CtxDep, who: Reader, execution_id: str, after: Sequence = 0
) -> Response:
    """Server-sent events: every state change and progress (done/total, percent, ETA)."""
    stream = _events(ctx, who, execution_id, after)
    try:
        first = await anext(stream)  # raises (404) before the response starts
    except StopAsyncIteration:  # ended, nothing after `after`: nothing will ever come
        return Response(status_code=204)

    async def body() -> AsyncIterator[str]:
        pending: dict[str, Any] | None = first
        async for item in _chain(pending, stream):
            if await request.is_disconnected():
                break
            if item is None:
                yield ": keep-alive\n\n"
            else:
                data = json.dumps(item, default=to_text)
                yield f"id: {item['seq'] or ''}\nevent: {item['kind']}\ndata: {data}\n\n"

    return StreamingResponse(body(), media_type="text/event-stream")


async def _chain(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    yield first
    async for item in rest:
        yield item


@router.websocket("/executions/{execution_id}/monitor")
async def monitor(websocket: WebSocket, execution_id: str) -> None:
    """The same events as JSON messages. Authenticate with ``?token=`` or the header."""
    ctx: Context = websocket.app.state.ctx
    header = websocket.headers.get("authorization", "")
    token = websocket.query_params.get("token") or header.partition(" ")[2].strip() or None
    try:
        who = await run_in_threadpool(accounts.authenticate, ctx, token)
        who.require(Permission.CATALOG_READ)
        stream = _events(ctx, who, execution_id, 0)
        first = await anext(stream)
    except StopAsyncIteration:  # an ended execution with no stored events: nothing to send
        await websocket.accept()
        await websocket.close()
        return
    except SoundingError as exc:
        # accept, then close: a close before accept reaches a real client as a bare HTTP 403
        reason = exc.message.encode()[:120].decode(errors="ignore")  # a close reason: 123 bytes
        await websocket.accept()
        await websocket.close(code=websocket_close_code(exc), reason=reason)
        return
    await websocket.accept()
    try:
        async for item in _chain(first, stream):
            if item is not None:
                await websocket.send_json(json.loads(json.dumps(item, default=to_text)))
        await websocket.close()
    except WebSocketDisconnect:
        return
