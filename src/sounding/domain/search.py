"""What search indexes and returns: documents, queries with filters, hits and pages.

Plain values only; the index, ranking and embeddings live in ``sounding.search``.
A :class:`SearchDocument` is one searchable thing (an asset of any type, later a glossary
term), keyed by its URN. :class:`SearchQuery` says what to look for; :class:`SearchPage` is
the answer the API returns as ``{"items", "total", "facets"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError

GLOSSARY_TERM = "glossary_term"
"""Document type of glossary terms (not an asset type, but searchable like one)."""

FACET_FIELDS = (
    "type",
    "source",
    "schema",
    "domain",
    "tag",
    "classification",
    "owner",
    "lifecycle",
    "criticality",
    "term",
    "property",
)
"""Fields a page reports facet counts for, in this order (``term``: accepted glossary terms;
``property``: custom property values as ``name:value``)."""

MISSING_FIELDS = FACET_FIELDS[1:]
"""Facet fields a search may ask to be empty (``SearchFilters.missing``): every one but type."""


class SearchMode(StrEnum):
    KEYWORD = "keyword"  # text relevance only
    SEMANTIC = "semantic"  # embeddings only
    HYBRID = "hybrid"  # both, fused by reciprocal rank


class MatchReason(StrEnum):
    """Why a hit matched; a hit lists every reason that applies, strongest first."""

    EXACT = "exact"  # the query is the name or the qualified name
    NAME = "name"
    QUALIFIED_NAME = "qualified_name"
    DESCRIPTION = "description"
    COLUMN = "column"
    CLASSIFICATION = "classification"
    GLOSSARY = "glossary"
    TAG = "tag"
    OWNER = "owner"
    DOMAIN = "domain"
    SEMANTIC = "semantic"  # close in meaning (embeddings), words need not match


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One searchable thing. ``urn`` is the key: indexing a document with a known URN
    replaces the old one.

    ``columns`` are the column names of a table, view or dataset. ``glossary_terms`` are the
    names, synonyms and abbreviations of its accepted glossary terms (searched as words);
    ``terms`` the names alone (a facet and a filter). ``schema`` is the
    qualified name of the container an object lives in (``main`` or ``analytics.public``).
    ``quality`` is a score in 0..1 (None when never measured); ``popularity`` counts uses
    (views, queries); both only nudge the ranking.
    """

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str | None = None
    schema: str | None = None
    description: str | None = None
    owner: str | None = None
    steward: str | None = None
    domain: str | None = None
    tags: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    glossary_terms: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    data_type: str | None = None
    criticality: str | None = None
    lifecycle: str | None = None
    quality: float | None = None
    popularity: float = 0.0
    deleted: bool = False
    terms: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()  # custom property values as ``name:value``

    @classmethod
    def from_asset(
        cls,
        asset: Mapping[str, Any],
        *,
        columns: Iterable[str] = (),
        classifications: Iterable[str] = (),
        glossary_terms: Iterable[str] = (),
        quality: float | None = None,
        popularity: float = 0.0,
        terms: Iterable[str] = (),
    ) -> SearchDocument:
        """Build from the catalog's public asset dict (``id``, ``urn``, ``name``, ...)."""
        columns = tuple(columns) or tuple(
            str(c["name"]) for c in asset.get("columns") or () if isinstance(c, Mapping)
        )
        return cls(
            id=int(asset["id"]),
            urn=str(asset["urn"]),
            name=str(asset["name"]),
            qualified_name=str(asset["qualified_name"]),
            type=str(asset["type"]),
            source=asset.get("source"),
            schema=container_of(str(asset["type"]), str(asset["qualified_name"])),
            description=asset.get("description"),
            owner=asset.get("owner"),
            steward=asset.get("steward"),
            domain=asset.get("domain"),
            tags=tuple(asset.get("tags") or ()),
            classifications=tuple(classifications),
            glossary_terms=tuple(glossary_terms),
            columns=columns,
            data_type=asset.get("data_type"),
            criticality=asset.get("criticality"),
            lifecycle=asset.get("lifecycle"),
            quality=quality,
            popularity=popularity,
            deleted=bool(asset.get("deleted") or asset.get("deleted_at")),
            terms=tuple(terms),
            properties=property_values(asset.get("custom_properties")),
        )


MAX_PROPERTY_VALUE = 200


def property_values(values: Any) -> tuple[str, ...]:
    """An asset's custom properties as ``name:value`` facet values (scalars only; a value is
    cut at :data:`MAX_PROPERTY_VALUE` characters), sorted."""
    if not isinstance(values, Mapping):
        return ()
    out = set()
    for name, value in values.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, str | int | float) and str(value).strip():
            out.add(f"{name}:{str(value).strip()[:MAX_PROPERTY_VALUE]}")
    return tuple(sorted(out))


def container_of(asset_type: str, qualified_name: str) -> str | None:
    """The qualified name of the schema (or database) holding an object or column."""
    try:
        parts = split_qualified(qualified_name) if qualified_name else ()
    except InvalidInputError:
        return None
    drop = {"column": 2, "table": 1, "view": 1, "dataset": 1, "schema": 0}.get(asset_type)
    if drop is None or len(parts) <= drop:
        return None
    kept = parts[: len(parts) - drop] if drop else parts
    return ".".join(kept) or None


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions on a search. Values within one field are OR-ed, fields are AND-ed.

    ``deleted``: False (default) hides soft-deleted assets, True shows only them, None both.
    ``quality_min``/``quality_max`` (0..1, inclusive) exclude documents without a quality.
    ``missing``: facet fields that must have no value (``("owner",)``: documents nobody owns).
    """

    types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    lifecycles: tuple[str, ...] = ()
    criticalities: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()  # ``name:value``
    quality_min: float | None = None
    quality_max: float | None = None
    deleted: bool | None = False
    missing: tuple[str, ...] = ()

    def keyword_fields(self) -> dict[str, tuple[str, ...]]:
        """Facet field name -> accepted values, for the fields that restrict anything."""
        pairs = {
            "type": self.types,
            "source": self.sources,
            "schema": self.schemas,
            "domain": self.domains,
            "tag": self.tags,
            "classification": self.classifications,
            "owner": self.owners,
            "lifecycle": self.lifecycles,
            "criticality": self.criticalities,
            "term": self.terms,
            "property": self.properties,
        }
        return {k: v for k, v in pairs.items() if v}


MAX_LIMIT = 200
MAX_QUERY_CHARS = 500


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search request. An empty ``text`` lists what the filters allow, best first."""

    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 20
    offset: int = 0
    mode: SearchMode = SearchMode.HYBRID
    facets: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInputError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        if self.offset < 0:
            raise InvalidInputError("offset must not be negative", field="offset")
        if len(self.text) > MAX_QUERY_CHARS:
            raise InvalidInputError(f"query is longer than {MAX_QUERY_CHARS} characters", field="q")
        f = self.filters
        for bound in (f.quality_min, f.quality_max):
            if bound is not None and not 0.0 <= bound <= 1.0:
                raise InvalidInputError("quality bounds must be between 0 and 1", field="quality")


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. ``snippet`` is HTML-escaped text with matches wrapped in ``<mark>``."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    score: float
    snippet: str
    reasons: tuple[MatchReason, ...]
    source: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "urn": self.urn,
            "name": self.name,
            "qualified_name": self.qualified_name,
            "type": self.type,
            "source": self.source,
            "description": self.description,
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "reasons": [r.value for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: tuple[Hit, ...]
    total: int
    facets: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [h.to_dict() for h in self.items],
            "total": self.total,
            "facets": self.facets,
        }


class SuggestionKind(StrEnum):
    ASSET = "asset"
    TERM = "term"  # a glossary term
    QUERY = "query"  # a recent search


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A completion: ``text`` to put in the search box, what it is, and how many share it."""

    text: str
    kind: SuggestionKind
    type: str | None = None
    urn: str | None = None
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind.value,
            "type": self.type,
            "urn": self.urn,
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class Suggestions:
    """The completions of a prefix (``GET /search/suggest``): every one, and how many."""

    items: list[Suggestion]
    total: int
