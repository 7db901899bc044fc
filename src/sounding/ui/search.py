"""``/search``: catalog search with facets, and ``/search/suggest``, the search box's list.

Every filter and the query live in the URL (plain GET links and forms), so a search can be
shared and Back returns to the previous one. Parameters (each filter may repeat; values of
one filter are OR-ed, filters AND-ed, as in ``GET /api/v1/search``):

``q`` words; ``type``, ``source``, ``schema``, ``domain``, ``tag``, ``label`` (a
classification), ``term`` (an accepted glossary term), ``owner``, ``lifecycle``,
``criticality``; ``missing`` a field that must be empty (``missing=owner``: nobody owns
it); ``page`` (1-based, 20 per page, up to :data:`MAX_OFFSET` results deep).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from sounding.domain.search import (
    GLOSSARY_TERM,
    MAX_QUERY_CHARS,
    MISSING_FIELDS,
    container_of,
)
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError
from sounding.features.usage import service as usage
from sounding.services import search
from sounding.ui.deps import CtxDep, UiReader
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
MAX_OFFSET = 10_000  # as the API: deeper pages are refused, refine the search instead
SUGGESTIONS = 8
SUGGEST_CHARS = 200

# URL parameter -> (service filter key, facet field, heading); in the order facets show
FILTERS: tuple[tuple[str, str, str, str], ...] = (
    ("type", "types", "type", "Type"),
    ("source", "sources", "source", "Source"),
    ("schema", "schemas", "schema", "Schema"),
    ("label", "classifications", "classification", "Classification"),
    ("term", "terms", "term", "Glossary term"),
    ("owner", "owners", "owner", "Owner"),
    ("domain", "domains", "domain", "Domain"),
    ("tag", "tags", "tag", "Tag"),
    ("lifecycle", "lifecycles", "lifecycle", "Lifecycle"),
    ("criticality", "criticalities", "criticality", "Criticality"),
    ("property", "properties", "property", "Property"),
)
FIELD_PARAM = {field: param for param, _, field, _ in FILTERS}
MISSING_LABELS = {field: f"No {heading.lower()}" for _, _, field, heading in FILTERS}
GAP_FIELDS = ("owner", "domain", "classification", "term", "tag")  # offered as "Gaps" filters
REASONS = {
    "exact": "exact name",
    "name": "name",
    "qualified_name": "path",
    "description": "description",
    "column": "column",
    "classification": "classification",
    "glossary": "glossary term",
    "tag": "tag",
    "owner": "owner",
    "domain": "domain",
    "semantic": "similar meaning",
}

Many = Annotated[list[str] | None, Query()]


@dataclass(frozen=True, slots=True)
class Crumb:
    label: str
    href: str | None


def href_of(kind: str, ident: int) -> str:
    """Where a hit (or a suggestion) leads: the asset page, or a glossary term's page."""
    if kind == GLOSSARY_TERM:
        return f"/glossary/terms/{ident}"
    return f"/assets/{ident}"


def breadcrumb(kind: str, source: str | None, qualified_name: str) -> list[Crumb]:
    """Source, then each container of the asset (database, schema, table), each a filter."""
    crumbs: list[Crumb] = []
    if kind == GLOSSARY_TERM:
        return [Crumb("Glossary", None)] + [
            Crumb(p, None) for p in qualified_name.strip("/").split("/")[:-1]
        ]
    if source:
        crumbs.append(Crumb(source, "/search?" + urlencode({"source": source})))
    try:
        parts = split_qualified(qualified_name)
    except InvalidInputError:
        return crumbs
    schema = container_of(kind, qualified_name)  # deeper crumbs (a column's table) stay text
    for depth, part in enumerate(parts[:-1]):
        prefix = ".".join(parts[: depth + 1])
        href = "/search?" + urlencode({"schema": prefix}) if prefix == schema else None
        crumbs.append(Crumb(part, href))
    return crumbs


def _filters(values: dict[str, list[str] | None], missing: list[str] | None) -> dict[str, Any]:
    return {
        key: tuple(dict.fromkeys(values.get(param) or ()))
        for param, key, _, _ in FILTERS
        if values.get(param)
    } | {"missing": tuple(dict.fromkeys(missing or ()))}


def toggled(request: Request, param: str, value: str) -> str:
    """This search with ``param=value`` added, or removed when present; back to page 1."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if (param, value) in params:
        params.remove((param, value))
    else:
        params.append((param, value))
    query = urlencode(params)
    return f"/search?{query}" if query else "/search"


def _facets(
    request: Request, found: dict[str, Any], chosen: dict[str, list[str]], missing: list[str]
) -> list[dict[str, Any]]:
    """Facet groups to show: each value with its count, whether it is chosen, and the link
    that toggles it (chosen values stay listed even when the page counted none of them)."""
    groups = []
    for param, _, field, heading in FILTERS:
        counts: dict[str, int] = dict(found["facets"].get(field) or {})
        for value in chosen.get(param) or ():
            counts.setdefault(value, 0)
        if not counts:
            continue
        values = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        groups.append(
            {
                "id": f"facet-{param}",
                "param": param,
                "heading": heading,
                "values": [
                    {
                        "value": v,
                        "count": n,
                        "chosen": v in (chosen.get(param) or ()),
                        "href": toggled(request, param, v),
                    }
                    for v, n in values
                ],
            }
        )
    gaps = [
        {
            "value": MISSING_LABELS[field],
            "count": None,
            "chosen": field in missing,
            "href": toggled(request, "missing", field),
        }
        for field in GAP_FIELDS
    ]
    groups.append({"id": "facet-missing", "param": "missing", "heading": "Gaps", "values": gaps})
    return groups


@router.get("/search")
def search_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    type: Many = None,
    source: Many = None,
    schema: Many = None,
    domain: Many = None,
    tag: Many = None,
    label: Many = None,
    term: Many = None,
    owner: Many = None,
    lifecycle: Many = None,
    criticality: Many = None,
    property: Many = None,
    missing: Many = None,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
) -> Response:
    chosen = {
        "type": type,
        "source": source,
        "schema": schema,
        "domain": domain,
        "tag": tag,
        "label": label,
        "term": term,
        "owner": owner,
        "lifecycle": lifecycle,
        "criticality": criticality,
        "property": property,
    }
    for field in missing or ():
        if field not in MISSING_FIELDS:
            raise InvalidInputError(
                f"Unknown field {field!r} for missing: use {', '.join(MISSING_FIELDS)}",
                field="missing",
            )
    filters = _filters(chosen, missing)
    offset = (page - 1) * PAGE_SIZE
    found = search.search(
        ctx, web.principal, q, limit=PAGE_SIZE, offset=offset, mode="hybrid", filters=filters
    )
    usage.record_search(ctx, web.principal, q, found, offset, "hybrid")
    total = int(found["total"])
    last_page = max(1, min(-(-total // PAGE_SIZE), MAX_OFFSET // PAGE_SIZE))
    active = [
        {"param": param, "label": f"{heading}: {value}", "value": value}
        for param, _, _, heading in FILTERS
        for value in dict.fromkeys(chosen[param] or ())
    ] + [
        {"param": "missing", "label": MISSING_LABELS.get(f, f), "value": f}
        for f in dict.fromkeys(missing or ())
    ]
    for chip in active:
        chip["remove"] = toggled(request, chip["param"], chip["value"])
    hits = [
        {
            **item,
            "href": href_of(item["type"], item["id"]),
            "crumbs": breadcrumb(item["type"], item["source"], item["qualified_name"]),
            "snippet": Markup(item["snippet"]),  # noqa: S704 (escaped by the engine, <mark> only)
            "why": [REASONS.get(r, r) for r in item["reasons"]],
        }
        for item in found["items"]
    ]
    return render(
        request,
        "search/page.html",
        {
            "q": q,
            "hits": hits,
            "total": total,
            "page": page,
            "last_page": last_page,
            "first_shown": offset + 1,
            "last_shown": offset + len(hits),
            "capped": total > MAX_OFFSET,
            "facets": _facets(
                request, found, {k: v or [] for k, v in chosen.items()}, missing or []
            ),
            "active": active,
        },
        web=web,
    )


@router.get("/search/suggest")
def suggest_fragment(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    box: Annotated[str, Query(pattern=r"^[a-z][a-z0-9-]{0,40}$")] = "search",
) -> Response:
    """The options of the search box's list (``box`` prefixes their element ids, so the
    page's box and the top bar's never clash)."""
    q = q[:SUGGEST_CHARS]  # a long text names nothing: match on its start, never refuse it
    found = search.quick(ctx, web.principal, q, SUGGESTIONS)
    options = [
        {
            "id": f"{box}-opt-{n}",
            "href": href_of(hit.type, hit.id),
            "name": hit.name,
            "type": hit.type,
            "crumbs": " \u203a ".join(
                c.label for c in breadcrumb(hit.type, hit.source, hit.qualified_name)
            ),
        }
        for n, hit in enumerate(found.hits)
    ]
    recent = [
        {"id": f"{box}-recent-{n}", "text": s.text, "count": s.count}
        for n, s in enumerate(found.recent)
    ]
    return render(
        request,
        "search/suggest.html",
        {"q": q.strip(), "options": options, "recent": recent, "box": box},
        web=web,
    )
