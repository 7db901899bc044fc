"""ETags and ``If-Match`` over HTTP, the same for every editable resource (sources, assets,
glossary terms, quality rules, workflows, compliance findings): the routes take
:data:`IfMatch` and hand it to the service, which compares it inside its write transaction
(``services.versions``); they answer with :func:`tagged`."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Header, Response

from sounding.services import versions


def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            description="Write only if the resource is still at this ETag (from a GET or an "
            "earlier write; * for any existing version); 412 if it changed. Absent: write "
            "anyway"
        ),
    ] = None,
) -> str | None:
    return if_match


IfMatch = Annotated[str | None, Depends(_if_match)]


B = TypeVar("B")


def tagged(response: Response, body: B) -> B:
    """``body`` (a resource's public form: a mapping or a typed record with ``id`` and
    ``revision``), with its ETag in the response headers."""
    response.headers["ETag"] = versions.etag_of(body)
    return body
