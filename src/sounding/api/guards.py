"""Request guards: body size and nesting depth, in one ASGI middleware.

The middleware reads a request body before any route does, counting bytes as they stream in:
a ``Content-Length`` over the limit is refused without reading, a chunked body as soon as the
count passes it (413, naming the limit and the setting). A JSON or YAML body nested deeper
than ``max_json_depth`` is a 422 before a parser recurses into it. The body is then handed to
the app unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np
import yaml
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from sounding.api.errors import error_body
from sounding.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IMPORT_PATHS = frozenset({"/api/v1/glossary/terms/import"})
"""Routes held to ``max_import_body_bytes`` instead of ``max_body_bytes``."""

_JSON_STRING = re.compile(rb'"[^"]*"')  # once escapes are gone (see json_depth_exceeds)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_BIG = 256 * 1024  # scan bodies larger than this off the event loop
_YAML_EVENTS = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """Whether JSON text nests objects/arrays deeper than ``max_depth`` (linear, no parse)."""
    plain = body.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped \ and " (in strings)
    brackets = _JSON_STRING.sub(b"", plain).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= max_depth:
        return False  # cannot nest deeper than it opens
    steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)]  # [{ -> +1, ]} -> -1
    return int(np.cumsum(steps, dtype=np.int64).max()) > max_depth


def yaml_depth_exceeds(text: bytes, max_depth: int) -> bool:
    """Whether YAML nests mappings/sequences deeper than ``max_depth``: reads the parser's
    event stream (iterative, unlike composing nodes), stopping at the first level too deep.
    Text that does not parse is left to the route, which names the problem."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_YAML_EVENTS):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    return True
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    return False


def _depth_exceeds(kind: str, body: bytes, max_depth: int) -> bool:
    if "yaml" in kind:
        return yaml_depth_exceeds(body, max_depth)
    if not kind or "json" in kind:
        return json_depth_exceeds(body, max_depth)
    return False


def _reject(status: int, kind: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse(error_body(kind, message, details), status_code=status)


def _too_large(limit: int, setting: str) -> JSONResponse:
    return _reject(
        413,
        "TooLargeError",
        f"Request body is larger than the limit of {limit} bytes (setting {setting})",
        limit=limit,
        setting=setting,
    )


class RequestGuard:
    """ASGI middleware holding every request body to the size and depth limits."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if "content-length" not in headers and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        settings = self.settings()
        limit, setting = settings.max_body_bytes, "SOUNDING_MAX_BODY_BYTES"
        if scope["path"] in IMPORT_PATHS:
            limit, setting = settings.max_import_body_bytes, "SOUNDING_MAX_IMPORT_BODY_BYTES"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit, setting)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit, setting)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        kind = headers.get("content-type", "").lower()
        depth = settings.max_json_depth
        if len(body) > _BIG:
            too_deep: bool = await run_in_threadpool(_depth_exceeds, kind, body, depth)
        else:
            too_deep = bool(body) and _depth_exceeds(kind, body, depth)
        if too_deep:
            response = _reject(
                422,
                "InvalidInputError",
                f"Request body nests deeper than {depth} levels (setting SOUNDING_MAX_JSON_DEPTH)",
                limit=depth,
                setting="SOUNDING_MAX_JSON_DEPTH",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # disconnects, for streaming responses
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
