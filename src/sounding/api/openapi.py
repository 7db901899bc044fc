"""What the OpenAPI document says beyond the routes' own types: the error body every route
may answer with, and the media types of routes that answer more than JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    type: str = Field(description="The error's kind, e.g. NotFoundError, ValidationFailedError")
    message: str = Field(description="What went wrong and what to fix, in one sentence")
    details: dict[str, Any] = Field(
        description="Structured context: names, ids, and for 422 ``errors``: [{loc, msg}]"
    )


class ErrorPublic(BaseModel):
    """The body of every 4xx and 5xx answer (see ``sounding.api.errors``)."""

    error: ErrorDetail


_ERRORS = {
    400: "The source could not be reached with the given settings",
    401: "No, an unknown, or a revoked API token (header ``WWW-Authenticate: Bearer``)",
    403: "The caller's role lacks the permission this operation needs",
    404: "The named thing does not exist",
    409: "It exists already, or its state forbids the operation",
    412: "``If-Match`` names a version that is no longer current; read it again",
    413: "The request body is larger than the server accepts",
    422: "The request is malformed or invalid; the message says what to fix",
    502: "A data source failed to answer the request",
    503: "Busy (``Retry-After`` says when to retry), or the store refuses writes",
    504: "A data source did not answer within its statement timeout",
    507: "The metadata store is full; nothing of the change was written",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in _ERRORS.items()
}
"""Declared on every API operation (the routers are included with them)."""

_SCHEMAS = {
    "application/json": {"type": "object"},
    "text/csv": {"type": "string"},
    "text/html": {"type": "string"},
    "application/x-ndjson": {"type": "string"},
}


def content_types(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose 200 answer is one of ``media_types`` (by a format
    parameter), so the document names each."""
    content = {media: {"schema": _SCHEMAS[media]} for media in media_types}
    return {200: {"description": "The document in the requested format", "content": content}}
