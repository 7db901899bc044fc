"""``/review``: the classification review queue — labels across the catalog (pending ones by
default) filtered by label, source, status and confidence, each with its evidence and a few
sample values (masked without ``pii:read``), confirmed or rejected one at a time or many at
once. Keyboard shortcuts live in ``static/review.js``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import ConflictError, InvalidInputError
from sounding.services import classification_review as review
from sounding.ui.deps import CtxDep, UiReader, UiWriter, safe_next
from sounding.ui.render import render, url_with

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = 2000
STATUS_CHOICES = ("pending", "confirmed", "rejected", "all")
STORED: dict[str, str | None] = {"pending": "suggested", "suggested": "suggested"}
STORED |= {"confirmed": "confirmed", "rejected": "rejected", "all": None}
ACTIONS = {"confirm": "confirmed", "reject": "rejected", "confirmed": "confirmed"}
ACTIONS |= {"rejected": "rejected"}
NOTE_MAX = 2000
Percent = Annotated[str | None, Query(max_length=10)]


def _percent(name: str, value: str | None) -> int | None:
    """A confidence bound in percent; an empty field (a form's blank input) is no bound."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = round(float(value))
    except ValueError:
        number = -1
    if not 0 <= number <= 100:
        raise InvalidInputError(f"{name} is a percentage from 0 to 100", field=name)
    return number


def _status(value: str | None) -> str:
    value = (value or "pending").strip().lower()
    if value not in STORED:
        raise InvalidInputError(
            f"Unknown status {value!r}; choose one of: {', '.join(STATUS_CHOICES)}",
            field="status",
        )
    return "pending" if value == "suggested" else value


@router.get("/review")
def queue_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    label: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    min_conf: Percent = None,
    max_conf: Percent = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
    n: Annotated[int, Query(ge=0, le=review.MAX_BATCH)] = 0,
    stale: Annotated[int, Query(ge=0, le=review.MAX_BATCH)] = 0,
) -> Response:
    shown = _status(status)
    low, high = _percent("min_conf", min_conf), _percent("max_conf", max_conf)
    stored = STORED[shown]
    label = (label or "").strip() or None
    source = (source or "").strip() or None
    items, total = review.queue(
        ctx,
        web.principal,
        label=label,
        status=stored,
        source=source,
        min_confidence=None if low is None else low / 100,
        max_confidence=None if high is None else high / 100,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    counts = review.facets(ctx, web.principal, stored, source)
    values = {
        "items": items,
        "total": total,
        "facets": counts,
        "statuses": STATUS_CHOICES,
        "filters": {
            "label": label,
            "source": source,
            "status": shown,
            "min_conf": low,
            "max_conf": high,
        },
        "page": page,
        "pages": max(1, min(MAX_PAGE, -(-total // PAGE_SIZE))),
        "done": done if done in ("confirmed", "rejected") else None,
        "n": n,
        "stale": stale,
        "back": url_with(request, done=None, n=None, stale=None),  # where a decision returns
        "note_max": NOTE_MAX,
    }
    return render(request, "review/queue.html", values, web=web)


def _seen(entries: list[str]) -> dict[int, str]:
    """``id:status`` pairs the page was drawn with (what the steward saw)."""
    out: dict[int, str] = {}
    for entry in entries[: review.MAX_BATCH * 2]:
        ident, _, status = entry.partition(":")
        if not ident.isdigit() or status not in review.STATUSES:
            raise InvalidInputError(f"Bad row state {entry[:40]!r}; reload the page", field="seen")
        out[int(ident)] = status
    return out


def _message(result: review.Decisions) -> str:
    count = len(result.decided)
    text = f"{count} label{'s' if count != 1 else ''} {result.status}"
    if result.stale:
        text += f"; {len(result.stale)} changed meanwhile and left as they are"
    return text


def _answer(
    request: Request,
    web: UiReader,
    result: review.Decisions,
    rows: list[review.ReviewItem],
    template: str,
    back: str,
) -> Response:
    if request.headers.get("hx-request"):
        return render(
            request,
            template,
            {"items": rows, "item": rows[0] if rows else None},
            web=web,
            headers={"HX-Trigger": json.dumps({"toast": _message(result)})},
        )
    target = safe_next(back)
    if not target.startswith("/review"):
        target = "/review"
    sep = "&" if "?" in target else "?"
    query = f"done={result.status}&n={len(result.decided)}&stale={len(result.stale)}"
    return RedirectResponse(f"{target}{sep}{query}", status_code=303)


@router.post("/review/decide")
def decide_many(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    decision: Annotated[str, Form(max_length=20)],
    id: Annotated[list[int] | None, Form()] = None,
    seen: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/review",
) -> Response:
    """The selected labels (checkboxes ``id``), confirmed or rejected together; htmx gets
    every row the page showed, redrawn."""
    status = ACTIONS.get(decision)
    if status is None:
        raise InvalidInputError("A decision is confirm or reject", field="decision")
    drawn = _seen(seen or [])
    chosen = {i: drawn[i] for i in dict.fromkeys(id or []) if i in drawn}
    if not chosen:
        raise InvalidInputError("Select at least one label first (x selects a row)", field="id")
    result = review.decide(ctx, web.principal, chosen, status, note.strip() or None)
    htmx = bool(request.headers.get("hx-request"))
    rows = review.items(ctx, web.principal, list(drawn)) if htmx else []
    return _answer(request, web, result, rows, "review/rows.html", back)


@router.post("/review/items/{label_id}/{action}")
def decide_one(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    label_id: int,
    action: str,
    seen: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/review",
) -> Response:
    """One label; htmx gets its row back. A label decided meanwhile is refused (409)."""
    status = ACTIONS.get(action)
    if status is None:
        raise InvalidInputError("A decision is confirm or reject", field="action")
    if not 1 <= label_id <= 2**62:
        raise InvalidInputError("A label id is a positive integer", field="label_id")
    drawn = _seen(seen or [])
    if label_id not in drawn:
        current = review.items(ctx, web.principal, [label_id])
        if not current:
            raise InvalidInputError(f"No label {label_id}; reload the page", field="label_id")
        drawn[label_id] = current[0].status
    result = review.decide(ctx, web.principal, {label_id: drawn[label_id]}, status, note or None)
    if result.stale:
        was = result.stale[0]
        who = f" by {was.decided_by}" if was.decided_by else ""
        raise ConflictError(
            f"{was.label} on {was.qualified_name} was {was.status}{who} meanwhile; "
            "reload the page to see it"
        )
    return _answer(request, web, result, result.decided, "review/row.html", back)
