"""``/glossary``: the term tree, each term's page (definition, synonyms, related terms,
linked assets, approval state and its actions), link suggestions to accept or reject, and
CSV import (an upload, all or nothing, with every bad row named) and export (a download)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from sounding.errors import InvalidInputError, ParseError, TooLargeError
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.features.glossary import terms as g
from sounding.features.glossary.records import GlossaryImportResult, GlossaryTreeNode
from sounding.services import versions
from sounding.ui.deps import CtxDep, UiReader, UiWriter, safe_next
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = 2000
MAX_UPLOAD = 2 * 1024 * 1024  # a glossary file of 2 MiB holds tens of thousands of terms
NOTE_MAX = 2000
STATUS_ACTIONS = {"approve": g.APPROVED, "deprecate": g.DEPRECATED, "draft": g.DRAFT}
DONE = {"create": "created as a draft", "approve": "approved", "deprecate": "deprecated"}
DONE["draft"] = "returned to draft"


def _status_filter(value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and value not in g.STATUSES:
        raise InvalidInputError(
            f"Unknown status {value!r}; choose one of: {', '.join(g.STATUSES)}", field="status"
        )
    return value


def _paths(nodes: list[GlossaryTreeNode]) -> list[str]:
    out: list[str] = []
    for n in nodes:
        out.append(n.path)
        out.extend(_paths(n.children))
    return out


def _count(nodes: list[GlossaryTreeNode]) -> int:
    return sum(1 + _count(n.children) for n in nodes)


def _index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    status: str | None,
    *,
    imported: GlossaryImportResult | None = None,
    import_errors: list[dict[str, Any]] | None = None,
    import_message: str | None = None,
    status_code: int = 200,
) -> Response:
    tree = glossary.tree(ctx, web.principal, status)
    _, pending = glossary_links.list_suggestions(ctx, web.principal, limit=1, offset=0)
    values = {
        "tree": tree,
        "paths": _paths(tree),
        "count": _count(tree),
        "status": status,
        "statuses": g.STATUSES,
        "pending": pending,
        "imported": imported,
        "import_errors": import_errors or [],
        "import_message": import_message,
        "max_upload_mb": MAX_UPLOAD // (1024 * 1024),
    }
    return render(request, "glossary/index.html", values, web=web, status_code=status_code)


@router.get("/glossary")
def index(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _index(request, ctx, web, _status_filter(status))


@router.post("/glossary/terms")
def create_term(
    ctx: CtxDep,
    web: UiWriter,
    name: Annotated[str, Form(min_length=1, max_length=g.MAX_NAME)],
    parent: Annotated[str, Form(max_length=2000)] = "",
    definition: Annotated[str, Form(max_length=20_000)] = "",
    synonyms: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A new draft term (under ``parent``, a path, when given); its page is next."""
    data: dict[str, Any] = {"name": name.strip(), "definition": definition.strip() or None}
    if parent.strip():
        data["parent"] = parent.strip()
    words = [w.strip() for w in synonyms.split(",") if w.strip()]
    if words:
        data["synonyms"] = words
    term = glossary.create_term(ctx, web.principal, data)
    return RedirectResponse(f"/glossary/terms/{term.id}?done=create", status_code=303)


@router.get("/glossary/export")
def export(
    ctx: CtxDep, web: UiReader, format: Annotated[str, Query(max_length=10)] = "csv"
) -> Response:
    """The whole glossary as a file to download (the format import reads)."""
    text = glossary.export_terms(ctx, web.principal, format)
    media = "text/csv" if format == "csv" else "application/json"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="glossary.{format}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/glossary/import")
async def import_file(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    file: UploadFile,
    format: Annotated[str, Form(max_length=10)] = "csv",
) -> Response:
    """A CSV (or JSON) file of terms, created or updated by path, all or nothing; a file
    with bad rows changes nothing and the page lists every bad row."""
    if format not in ("csv", "json"):
        raise InvalidInputError(f"Unknown format {format!r}: use csv or json", field="format")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise TooLargeError(
            f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB; split it", limit=MAX_UPLOAD
        )
    if not data.strip():
        raise InvalidInputError("The file is empty; choose a glossary CSV file", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"The file is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV", field="file"
        ) from exc
    try:
        result = glossary.import_terms(ctx, web.principal, text, format)
    except (InvalidInputError, ParseError) as exc:
        errors = list(exc.details.get("errors") or [])
        return _index(
            request,
            ctx,
            web,
            None,
            import_errors=errors,
            import_message=exc.message,
            status_code=422,
        )
    return _index(request, ctx, web, None, imported=result)


@router.get("/glossary/suggestions")
def suggestions_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    term: Annotated[str | None, Query(max_length=1000)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    term = (term or "").strip() or None
    source = (source or "").strip() or None
    items, total = glossary_links.list_suggestions(
        ctx,
        web.principal,
        term=term,
        source=source,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    values = {
        "items": items,
        "total": total,
        "filters": {"term": term, "source": source},
        "page": page,
        "pages": max(1, min(MAX_PAGE, -(-total // PAGE_SIZE))),
        "back": request.url.path + ("?" + request.url.query if request.url.query else ""),
    }
    return render(request, "glossary/suggestions.html", values, web=web)


@router.post("/glossary/suggestions/{link_id}/{action}")
def decide_suggestion(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    link_id: int,
    action: str,
    back: Annotated[str, Form(max_length=2000)] = "/glossary/suggestions",
) -> Response:
    """Accept or reject one suggested link; htmx gets its row back."""
    status = {"accept": glossary_links.ACCEPTED, "reject": glossary_links.REJECTED}.get(action)
    if status is None:
        raise InvalidInputError("A suggestion is accepted or rejected", field="action")
    if not 1 <= link_id <= 2**62:
        raise InvalidInputError("A suggestion id is a positive integer", field="link_id")
    found = glossary_links.decide_suggestion(ctx, web.principal, link_id, status)
    if request.headers.get("hx-request"):
        message = f"{found.qualified_name} {status} for {found.term_path}"
        return render(
            request,
            "glossary/suggestion_row.html",
            {"s": found, "show_term": True},
            web=web,
            headers={"HX-Trigger": json.dumps({"toast": message})},
        )
    target = safe_next(back)
    return RedirectResponse(target if target.startswith("/glossary") else "/glossary", 303)


@router.get("/glossary/terms/{term_id}")
def term_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    term_id: int,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if not 1 <= term_id <= 2**62:
        raise InvalidInputError("A term id is a positive integer", field="term_id")
    term = glossary.get_term(ctx, web.principal, term_id)
    assets, linked = glossary_links.term_assets(ctx, web.principal, term_id, limit=100)
    suggested, pending = glossary_links.list_suggestions(
        ctx, web.principal, term=str(term_id), limit=50, offset=0
    )
    related = _ids(ctx, web, [*term.related, *term.children])
    parent = glossary.get_term(ctx, web.principal, term.parent_id) if term.parent_id else None
    values = {
        "term": term,
        "parent": parent,
        "ids": related,
        "assets": assets,
        "linked": linked,
        "suggested": suggested,
        "pending": pending,
        "actions": sorted(
            (a for a, s in STATUS_ACTIONS.items() if s in g.TRANSITIONS[term.status]),
            key=list(STATUS_ACTIONS).index,
        ),
        "done": DONE.get(done or ""),
        "note_max": NOTE_MAX,
        "back": request.url.path,
    }
    return render(request, "glossary/term.html", values, web=web)


def _ids(ctx: CtxDep, web: UiReader, paths: list[str]) -> dict[str, int]:
    """Term ids of ``paths`` (for links to their pages): a term's related terms and children
    are few, one small query each."""
    if not paths:
        return {}
    out: dict[str, int] = {}
    for path in paths[:200]:
        out[path] = glossary.get_term(ctx, web.principal, path).id
    return out


@router.post("/glossary/terms/{term_id}/{action}")
def change_status(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    term_id: int,
    action: str,
    revision: Annotated[int, Form(ge=0, le=2**62)],
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
) -> Response:
    """Approve, deprecate or return to draft; ``revision`` is the one the steward saw, so a
    term changed meanwhile is refused (412) instead of overwritten."""
    status = STATUS_ACTIONS.get(action)
    if status is None:
        raise InvalidInputError(
            f"Unknown action {action!r}; one of {', '.join(STATUS_ACTIONS)}", field="action"
        )
    if not 1 <= term_id <= 2**62:
        raise InvalidInputError("A term id is a positive integer", field="term_id")
    glossary.set_status(
        ctx,
        web.principal,
        term_id,
        status,
        note.strip() or None,
        if_match=versions.etag(term_id, revision),
    )
    return RedirectResponse(f"/glossary/terms/{term_id}?done={action}", status_code=303)
