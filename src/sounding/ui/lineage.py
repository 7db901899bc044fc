"""``/lineage``: the lineage explorer — a focus asset's upstream and downstream, drawn with
cytoscape.js at positions computed on the server, expanded node by node, with its impact.

- ``/lineage?focus=<urn or id>&depth=N|max&level=table|column&expand=<ids>``: the page. The
  URL holds the whole state (the nodes expanded so far too), so Back and sharing work.
  Without ``focus``: a picker (``q`` searches asset names).
- ``/lineage/graph.json`` (same parameters): the laid-out elements, what the last expansion
  added and the table of nodes left out; ``static/lineage.js`` fetches it on a click.
- ``/lineage/impact`` (htmx fragment, ``ipage`` pages it) and ``/lineage/impact.csv``: every
  downstream asset with its owner.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from sounding.errors import InvalidInputError
from sounding.services import lineage_explorer as explorer
from sounding.services.lineage_explorer import ExplorerGraph, Impact
from sounding.ui.deps import CtxDep, UiReader
from sounding.ui.render import ENV, SECURITY_HEADERS, render

router = APIRouter(include_in_schema=False)

_BREAK_AFTER = re.compile(r"(?<=[._@-])")


def breakable(text: object) -> Markup:
    """Long dotted names and e-mail addresses wrap after a dot, underscore, @ or hyphen
    (``<wbr>``), never in the middle of a word."""
    return Markup("<wbr>").join(_BREAK_AFTER.split("" if text is None else str(text)))


ENV.filters.setdefault("breakable", breakable)

DEPTHS = (1, 2, 3, 4, 5, 10, 20)
WHOLE = "max"
IMPACT_PAGE = 50
MAX_FOCUS = 2000  # characters: a URN is far shorter


def parse_depth(value: str | None) -> int | None:
    """``max`` (or ``all``) is the whole graph (None); else 1..20."""
    text = (value or "1").strip().lower()
    if text in (WHOLE, "all", "whole"):
        return None
    if not text.isdigit() or not 1 <= int(text) <= explorer.MAX_DEPTH:
        raise InvalidInputError(
            f"Depth must be a number from 1 to {explorer.MAX_DEPTH}, or 'max' for the whole graph",
            field="depth",
        )
    return int(text)


def parse_level(value: str | None) -> str:
    level = (value or "table").strip().lower()
    if level not in explorer.LEVELS:
        raise InvalidInputError("Level must be 'table' or 'column'", field="level")
    return level


def parse_expand(value: str | None) -> list[int]:
    ids: list[int] = []
    for part in (value or "").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or len(part) > 18:
            raise InvalidInputError(
                f"expand lists asset ids separated by commas; {part[:40]!r} is not one",
                field="expand",
            )
        ids.append(int(part))
    return ids


def parse_focus(value: str | None) -> str | None:
    focus = (value or "").strip()
    if len(focus) > MAX_FOCUS:
        raise InvalidInputError("focus is too long for an asset id or URN", field="focus")
    return focus or None


def parse_page(value: str | None) -> int:
    text = (value or "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise InvalidInputError("ipage must be a page number (1 or more)", field="ipage")
    return int(text)


def state_url(
    path: str, focus: str, depth: int | None, level: str, expand: list[int], **extra: Any
) -> str:
    """The URL of an explorer state (parameters in a fixed order, defaults left out)."""
    params: list[tuple[str, str]] = [("focus", focus)]
    if depth != 1:
        params.append(("depth", WHOLE if depth is None else str(depth)))
    if level != "table":
        params.append(("level", level))
    if expand:
        params.append(("expand", ",".join(map(str, expand))))
    params += [(k, str(v)) for k, v in extra.items() if v not in (None, "", 1)]
    return f"{path}?{urlencode(params, safe=':,')}"


def url_maker(focus: str, depth: int | None, level: str, expand: list[int]) -> Callable[..., str]:
    """``url(path="/lineage", **changes)`` for templates: this state with some changes."""

    def url(path: str = "/lineage", **changes: Any) -> str:
        return state_url(
            path,
            changes.pop("focus", focus),
            changes.pop("depth", depth),
            changes.pop("level", level),
            changes.pop("expand", expand),
            **changes,
        )

    return url


def impact_page(impact: Impact, page: int) -> dict[str, Any]:
    pages = max(1, math.ceil(impact.total / IMPACT_PAGE))
    page = min(page, pages)
    start = (page - 1) * IMPACT_PAGE
    return {
        "impact": impact,
        "rows": impact.rows[start : start + IMPACT_PAGE],
        "page": page,
        "pages": pages,
        "first": start + 1,
        "owners": impact.owners()[:8],
    }


def _values(graph: ExplorerGraph, impact: Impact, focus: str, page: int) -> dict[str, Any]:
    depth, level = graph.depth, graph.level
    url = url_maker(focus, depth, level, graph.expanded)
    depths = list(DEPTHS)
    if depth is not None and depth not in depths:
        depths = sorted({*depths, depth})
    return {
        "graph": graph,
        "focus_ref": focus,
        "depth": depth,
        "depths": depths,
        "level": level,
        "url": url,
        "limit": explorer.EXPANSION_LIMIT,
        "whole_limit": explorer.WHOLE_LIMIT,
        **impact_page(impact, page),
    }


def _data(graph: ExplorerGraph, focus: str, page_url: str) -> dict[str, Any]:
    return {
        "elements": graph.elements,
        "focus": str(graph.focus.id),
        "focusRef": focus,
        "depth": WHOLE if graph.depth is None else graph.depth,
        "level": graph.level,
        "expanded": graph.expanded,
        "added": [str(i) for i in graph.added],
        "nodes": len(graph.nodes) + len(graph.tables),
        "edges": len(graph.edges),
        "overflow": graph.overflow_total,
        "more": [str(i) for i in graph.more],
        "truncated": graph.truncated,
        "layoutMs": graph.layout_ms,
        "url": page_url,
    }


@router.get("/lineage")
def lineage_page(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    q = request.query_params
    focus = parse_focus(q.get("focus"))
    depth, level = parse_depth(q.get("depth")), parse_level(q.get("level"))
    expand, page = parse_expand(q.get("expand")), parse_page(q.get("ipage"))
    if focus is None:
        text = (q.get("q") or "").strip()[:200]
        found = explorer.find_assets(ctx, web.principal, text, limit=30)
        return render(
            request, "lineage/picker.html", {"q": text, "found": found, "level": level}, web=web
        )
    graph = explorer.explore(ctx, web.principal, focus, depth=depth, level=level, expand=expand)
    impact = explorer.impact(ctx, web.principal, focus, level)
    values = _values(graph, impact, focus, page)
    values["data"] = _data(graph, focus, values["url"]())
    return render(request, "lineage/page.html", values, web=web)


@router.get("/lineage/graph.json")
def lineage_json(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    """The explorer's graph for ``static/lineage.js``: elements with positions, and the
    overflow table as HTML (rendered here, like the page)."""
    q = request.query_params
    focus = parse_focus(q.get("focus"))
    if focus is None:
        raise InvalidInputError("focus is required: an asset id or URN", field="focus")
    depth, level, expand = (
        parse_depth(q.get("depth")),
        parse_level(q.get("level")),
        parse_expand(q.get("expand")),
    )
    graph = explorer.explore(ctx, web.principal, focus, depth=depth, level=level, expand=expand)
    values = {
        "graph": graph,
        "limit": explorer.EXPANSION_LIMIT,
        "url": url_maker(focus, depth, level, graph.expanded),
    }
    page_url = state_url("/lineage", focus, depth, level, graph.expanded)
    data = _data(graph, focus, page_url)
    data["overflowHtml"] = ENV.get_template("lineage/_overflow.html").render(values)
    return JSONResponse(data, headers=SECURITY_HEADERS)


@router.get("/lineage/impact")
def lineage_impact(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    """One page of the impact table (an htmx fragment; a whole page without htmx)."""
    q = request.query_params
    focus = parse_focus(q.get("focus"))
    if focus is None:
        raise InvalidInputError("focus is required: an asset id or URN", field="focus")
    depth, level = parse_depth(q.get("depth")), parse_level(q.get("level"))
    expand, page = parse_expand(q.get("expand")), parse_page(q.get("ipage"))
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(
            state_url("/lineage", focus, depth, level, expand, ipage=page), status_code=303
        )
    impact = explorer.impact(ctx, web.principal, focus, level)
    url = url_maker(focus, depth, level, expand)
    values = {"url": url, "level": level, "focus_ref": focus, **impact_page(impact, page)}
    return render(request, "lineage/_impact.html", values, web=web)


CSV_FIELDS = (
    "distance",
    "qualified_name",
    "type",
    "owner",
    "criticality",
    "table",
    "source",
    "urn",
    "path",
)


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/lineage/impact.csv")
def lineage_impact_csv(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    """Every downstream asset of the focus with its owner, as CSV (a download)."""
    q = request.query_params
    focus = parse_focus(q.get("focus"))
    if focus is None:
        raise InvalidInputError("focus is required: an asset id or URN", field="focus")
    level = parse_level(q.get("level"))
    impact = explorer.impact(ctx, web.principal, focus, level)
    names = {impact.focus.id: impact.focus.qualified_name}
    names.update({r.node.id: r.node.qualified_name for r in impact.rows})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in impact.rows:
        path = " > ".join(names.get(i, str(i)) for i in r.path)
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.distance,
                    r.node.qualified_name,
                    r.node.type,
                    r.owner,
                    r.node.criticality,
                    r.table,
                    r.node.source,
                    r.node.urn,
                    path,
                )
            ]
        )
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in impact.focus.qualified_name)
    filename = f"impact-{stem[:100]}{'-columns' if level == 'column' else ''}.csv"
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": disposition,
        },
    )
