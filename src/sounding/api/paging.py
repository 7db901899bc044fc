"""Bounded paging for every list, and bounded integer ids for every route.

A list takes ``limit`` (1..1000), ``offset`` (0..10,000) or ``cursor`` (the ``next_cursor`` of
the page before), and answers ``{"items", "total", "next_cursor"}``. Bounds are part of the
OpenAPI schema, so a number beyond them is a 422 before any service (or native code: SQLite,
the full-text index) sees it. Pages deeper than the offset bound are reached by cursor only: a
cursor is an opaque, checksummed token the server issued, tied to the list it came from. It
carries the position after the page, and for lists with a :class:`SortOrder` (assets, audit
log, scans and their events, quality results) the sort key of the page's last item: the next
page is then an index seek after that key, as fast at item 10^6 as at item 10, and neither
skips nor repeats items when rows are added or removed meanwhile.

This module deliberately has no ``from __future__ import annotations``: FastAPI reads the
``Annotated`` bounds of the parameters below at import time.
"""

import base64
import binascii
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import Path, Query, Request

from sounding.domain.paging import Key, SortOrder
from sounding.errors import InvalidInputError

MAX_LIMIT = 1000
"""The largest ``limit`` any list accepts."""

MAX_SEARCH_LIMIT = 200
"""Search builds a highlighted snippet per hit, so its pages are smaller."""

MAX_OFFSET = 10_000
"""The deepest ``offset``; deeper pages go through ``cursor``."""

MAX_ID = 2**63 - 1
"""Ids are 64-bit signed integers in every store."""

MAX_POSITION = 2**53
"""The deepest position a cursor may carry (beyond any real list; JSON-safe)."""

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="A numeric id (1 .. 2^63-1)")]
"""A numeric id in a path: 422 outside the range a store can hold."""

OptionalIdQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="A numeric id (1 .. 2^63-1)")
]
"""An optional numeric id in a query string."""

Sequence = Annotated[int, Query(ge=0, le=MAX_ID, description="A sequence number (0 .. 2^63-1)")]
"""A position in an ordered stream (``after=``)."""

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1..1000)")]
"""A page size for lists that are not offset-paged."""

MAX_CURSOR = 4096
_MAX_KEY_TEXT = 1024
_CHECK = b"sounding.cursor.v1"
_CHECK_BYTES = 8


def encode_cursor(scope: str, position: int, key: Key | None = None) -> str:
    """An opaque token for ``position`` (and the sort ``key`` of the item before it) in the
    list at ``scope`` (a route path). A key too long to carry is left out (position only)."""
    data: dict[str, Any] = {"s": scope, "p": position}
    if key is not None and _valid_key(list(key)):
        data["k"] = list(key)
    payload = json.dumps(data, separators=(",", ":")).encode()
    tag = hmac.new(_CHECK, payload, hashlib.sha256).digest()[:_CHECK_BYTES]
    return base64.urlsafe_b64encode(tag + payload).decode("ascii").rstrip("=")


def _valid_key(key: Any) -> bool:
    return (
        isinstance(key, list)
        and 0 < len(key) <= 4
        and all(
            (type(v) is int and -MAX_ID <= v <= MAX_ID)
            or (isinstance(v, str) and len(v) <= _MAX_KEY_TEXT)
            for v in key
        )
    )


def decode_cursor(token: str, scope: str) -> tuple[int, Key | None]:
    """The position and sort key a cursor from :func:`encode_cursor` carries; 422 for
    anything else."""
    problem = InvalidInputError(
        "Invalid cursor: pass the next_cursor of the previous page of this list unchanged "
        "(or start again without cursor)",
        field="cursor",
    )
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise problem from None
    tag, payload = raw[:_CHECK_BYTES], raw[_CHECK_BYTES:]
    expected = hmac.new(_CHECK, payload, hashlib.sha256).digest()[:_CHECK_BYTES]
    if not hmac.compare_digest(tag, expected):
        raise problem
    try:
        data = json.loads(payload)
    except ValueError:
        raise problem from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise problem
    position, key = data.get("p"), data.get("k")
    if type(position) is not int or not 0 <= position <= MAX_POSITION:
        raise problem
    if key is not None and not _valid_key(key):
        raise problem
    return position, None if key is None else tuple(key)


def _scope(request: Request) -> str:
    """The list a cursor belongs to: the request path (so one scan's events are not another's)."""
    return request.url.path


OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip (0..10000)")]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR,
        description="The next_cursor of the previous page (instead of offset)",
    ),
]


class PageParams:
    """``limit`` + ``offset`` or ``cursor``; ``result()`` builds the page with ``next_cursor``."""

    def __init__(
        self,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1..1000)")] = 50,
        offset: OffsetQuery = 0,
        cursor: CursorQuery = None,
    ) -> None:
        self._setup(request, limit, offset, cursor)

    def _setup(self, request: Request, limit: int, offset: int, cursor: str | None) -> None:
        self.scope = _scope(request)
        self.limit = limit
        self._key: Key | None = None
        if cursor is not None and offset:
            raise InvalidInputError("Give offset or cursor, not both", field="cursor")
        self.offset = offset
        if cursor is not None:
            self.offset, self._key = decode_cursor(cursor, self.scope)

    def after(self, order: SortOrder) -> Key | None:
        """The sort key to seek after in a list ordered by ``order`` (None: use ``offset``)."""
        if self._key is not None and len(self._key) != len(order.fields):
            raise InvalidInputError("Invalid cursor: it is not one of this list", field="cursor")
        return self._key

    def next_cursor(
        self, items: list[Any], total: int, order: SortOrder | None = None
    ) -> str | None:
        """The cursor of the page after ``items``, or None at the end. A keyset list
        (``order`` given) goes on while pages are full: rows may come and go meanwhile, so
        its walk may end with one empty page."""
        following = self.offset + len(items)
        if order is not None:
            if len(items) < self.limit:
                return None
            return encode_cursor(self.scope, following, order.key_of(items[-1]))
        if not items or following >= total:
            return None
        return encode_cursor(self.scope, following)

    def result(
        self, items: list[Any], total: int, order: SortOrder | None = None
    ) -> dict[str, Any]:
        """The page: ``items``, ``total`` and ``next_cursor``; pass the list's ``order`` when
        the service sought after :meth:`after`."""
        return {
            "items": items,
            "total": total,
            "next_cursor": self.next_cursor(items, total, order),
        }


class SearchPageParams(PageParams):
    """Search paging: at most 200 hits a page (each hit carries a highlighted snippet)."""

    def __init__(
        self,
        request: Request,
        limit: Annotated[
            int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="Page size (1..200)")
        ] = 50,
        offset: OffsetQuery = 0,
        cursor: CursorQuery = None,
    ) -> None:
        self._setup(request, limit, offset, cursor)
