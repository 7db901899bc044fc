"""Search: what ``/api/v1/search`` and ``/api/v1/search/suggest`` answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sounding.api.schemas.common import ItemList


class SearchHitPublic(BaseModel):
    id: int
    urn: str
    name: str
    qualified_name: str
    type: str = Field(description="An asset type, or glossary_term")
    source: str | None
    description: str | None
    score: float
    snippet: str = Field(description="HTML-escaped text with the matches wrapped in <mark>")
    reasons: list[str] = Field(description="Why it matched: name, description, column, ...")


class SearchPage(BaseModel):
    items: list[SearchHitPublic]
    total: int
    facets: dict[str, dict[str, int]] = Field(
        description="Per facet (type, source, schema, domain, tag, classification, owner, "
        "lifecycle, criticality, term), the "
        "number of results with each value"
    )
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page; null on the last page"
    )


class SuggestionPublic(BaseModel):
    text: str = Field(description="What to put in the search box")
    kind: str = Field(description="asset, term or query (a recent search)")
    type: str | None
    urn: str | None
    count: int = Field(description="How many share this text")


class SuggestionsPublic(ItemList[SuggestionPublic]):
    pass
