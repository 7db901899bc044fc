"""A brute-force matcher: what a keyword search must return, computed by scanning every
document with the same analysis and matching rules as the index.

It is slow on purpose and has no index to drift. Tests replay random create / update /
delete sequences into both it and the real index and require the same answers: the set of
matching documents, the total, the facet counts, and exact matches first. (Scores and the
order among non-exact hits are the index's business; BM25 statistics are not recomputed
here.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sounding.domain.search import FACET_FIELDS, SearchDocument, SearchFilters, SearchQuery
from sounding.search.analysis import normalize_exact, query_terms, term_matches
from sounding.search.documents import facet_values, text_fields
from sounding.search.ranking import RankingConfig


@dataclass(frozen=True, slots=True)
class OracleResult:
    urns: frozenset[str]  # every matching document
    exact: frozenset[str]  # those whose name or qualified name is the query
    facets: dict[str, dict[str, int]]

    @property
    def total(self) -> int:
        return len(self.urns)


class BruteForceMatcher:
    """Holds documents by URN; answers keyword queries by scanning them all."""

    def __init__(self, config: RankingConfig | None = None) -> None:
        self.config = config or RankingConfig()
        self.docs: dict[str, SearchDocument] = {}

    def apply(self, upserts: Iterable[SearchDocument] = (), deletes: Iterable[str] = ()) -> None:
        for urn in deletes:
            self.docs.pop(urn, None)
        for doc in upserts:
            self.docs[doc.urn] = doc

    def search(self, query: SearchQuery) -> OracleResult:
        text = " ".join(query.text.split())
        terms = query_terms(text)
        matched = [
            doc
            for doc in self.docs.values()
            if passes(doc, query.filters) and (not text or self.matches(doc, terms, text))
        ]
        exact = normalize_exact(text)
        exact_urns = {
            d.urn
            for d in matched
            if exact and exact in (normalize_exact(d.name), normalize_exact(d.qualified_name))
        }
        return OracleResult(
            frozenset(d.urn for d in matched), frozenset(exact_urns), facets(matched)
        )

    def matches(self, doc: SearchDocument, terms: Sequence[str], text: str) -> bool:
        exact = normalize_exact(text)
        if exact and exact in (normalize_exact(doc.name), normalize_exact(doc.qualified_name)):
            return True
        fields = text_fields(doc)
        for spec in self.config.fields:
            doc_terms = set(fields[spec.name])
            for q in terms:
                if any(term_matches(q, t, prefix=spec.prefix, fuzzy=spec.fuzzy) for t in doc_terms):
                    return True
        return False


def passes(doc: SearchDocument, filters: SearchFilters) -> bool:
    values = facet_values(doc)
    for field_name, accepted in filters.keyword_fields().items():
        if not set(values[field_name]) & set(accepted):
            return False
    if any(values[field_name] for field_name in filters.missing):
        return False
    if filters.quality_min is not None or filters.quality_max is not None:
        if doc.quality is None:
            return False
        lo = 0.0 if filters.quality_min is None else filters.quality_min
        hi = 1.0 if filters.quality_max is None else filters.quality_max
        if not lo <= doc.quality <= hi:
            return False
    return filters.deleted is None or doc.deleted == filters.deleted


def facets(docs: Iterable[SearchDocument]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {f: Counter() for f in FACET_FIELDS}
    for doc in docs:
        for field_name, values in facet_values(doc).items():
            counts[field_name].update(set(values))
    return {f: dict(c) for f, c in counts.items()}
