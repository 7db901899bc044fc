"""/api/v1/search and /api/v1/search/suggest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from sounding.api.deps import CtxDep, Reader, SearchPageDep
from sounding.api.routing import api_router
from sounding.api.schemas import SearchPage, SuggestionsPublic
from sounding.domain.search import Suggestions
from sounding.features.usage import service as usage
from sounding.services import search

router = api_router("/search", tags=["search"])
Many = Annotated[list[str] | None, Query()]


@router.get("", response_model=SearchPage)
def search_assets(
    ctx: CtxDep,
    who: Reader,
    page: SearchPageDep,
    q: Annotated[str, Query(max_length=500, description="Words, a name, or a question")] = "",
    type: Many = None,
    source: Many = None,
    schema: Many = None,
    domain: Many = None,
    tag: Many = None,
    label: Many = None,
    owner: Many = None,
    lifecycle: Many = None,
    criticality: Many = None,
    term: Annotated[list[str] | None, Query(description="Accepted glossary term names")] = None,
    property: Annotated[
        list[str] | None,
        Query(description="Custom property values as name:value (tier:gold)"),
    ] = None,
    quality_min: Annotated[float | None, Query(ge=0, le=1)] = None,
    quality_max: Annotated[float | None, Query(ge=0, le=1)] = None,
    deleted: Annotated[bool | None, Query(description="true: only deleted; omit: live")] = False,
    missing: Annotated[
        list[str] | None, Query(description="Facet fields that must be empty (owner: unowned)")
    ] = None,
    mode: Annotated[str, Query(pattern="^(hybrid|keyword|semantic)$")] = "hybrid",
) -> dict[str, Any]:
    """Every asset type; hits carry score, highlighted snippet and the reasons they matched.
    Repeat a filter to OR its values (``?type=table&type=view``); facets count the results."""
    filters: dict[str, Any] = {
        "types": tuple(type or ()),
        "sources": tuple(source or ()),
        "schemas": tuple(schema or ()),
        "domains": tuple(domain or ()),
        "tags": tuple(tag or ()),
        "classifications": tuple(label or ()),
        "owners": tuple(owner or ()),
        "lifecycles": tuple(lifecycle or ()),
        "criticalities": tuple(criticality or ()),
        "terms": tuple(term or ()),
        "properties": tuple(property or ()),
        "quality_min": quality_min,
        "quality_max": quality_max,
        "deleted": deleted,
        "missing": tuple(missing or ()),
    }
    found = search.search(
        ctx, who, q, limit=page.limit, offset=page.offset, mode=mode, filters=filters
    )
    found["next_cursor"] = page.next_cursor(found["items"], found["total"])
    usage.record_search(ctx, who, q, found, page.offset, mode)  # in memory, flushed later
    return found


@router.get("/suggest", response_model=SuggestionsPublic)
def suggest(
    ctx: CtxDep,
    who: Reader,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Suggestions:
    """Completions: asset names and recent queries starting with (or close to) ``q``."""
    return search.suggest(ctx, who, q, limit)
