"""Ranking knobs and the arithmetic that uses them.

Order of results, strongest rule first:

1. **Exact match**: a document whose name or qualified name *is* the query (case, quotes
   and spacing aside) ranks above every other.
2. **Text relevance**: BM25 per field, times the field's weight (name > qualified name >
   labels > description > columns), summed over query words. A query word also matches
   words it is a prefix of, and (five letters or more) words one typo away, for a fixed
   fraction of the field's weight.
3. **Document boost**: relevance is multiplied by a per-document factor from its type,
   popularity, quality, criticality and lifecycle (deprecated assets sink).
4. **Semantic** (hybrid mode): the keyword list and the embedding list (cosine similarity
   times the document type's weight, above a floor) are fused by weighted reciprocal rank
   (``w / (k + rank)``); exact matches still come first.

Ties keep insertion order (tantivy's tie-breaker), so paging through results is stable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sounding.domain.search import SearchDocument


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One text field: its BM25 weight and whether prefix / one-typo matches count."""

    name: str
    weight: float
    prefix: bool = True
    fuzzy: bool = True


DEFAULT_FIELDS = (
    FieldSpec("name", 6.0),
    FieldSpec("qualified_name", 2.5, prefix=False),
    FieldSpec("labels", 2.0, fuzzy=False),  # classifications, glossary terms, tags
    FieldSpec("description", 1.5, prefix=False),
    FieldSpec("people", 1.0, prefix=False, fuzzy=False),  # owner, steward, domain
    FieldSpec("columns", 1.0, prefix=False),
)

DEFAULT_TYPE_WEIGHTS = {
    "table": 1.0,
    "view": 1.0,
    "dataset": 1.0,
    "glossary_term": 1.0,
    "schema": 0.9,
    "database": 0.85,
    "source": 0.85,
    "column": 0.8,
}
CRITICALITY_LEVELS = {"low": 0.0, "medium": 1 / 3, "high": 2 / 3, "critical": 1.0}
DEFAULT_LIFECYCLE_WEIGHTS = {"deprecated": 0.7, "retired": 0.5}
MIN_BOOST = 0.25  # boosts are clamped to [MIN_BOOST, MAX_BOOST]
MAX_BOOST = 4.0


@dataclass(frozen=True, slots=True)
class RankingConfig:
    """Every ranking knob, with the defaults measured by ``bench/search_relevance.py``."""

    fields: tuple[FieldSpec, ...] = DEFAULT_FIELDS
    prefix_weight: float = 0.35  # share of a field's weight a prefix match earns
    fuzzy_weight: float = 0.25  # share of a field's weight a one-typo match earns
    exact_score: float = 100_000.0  # added to exact name matches; dwarfs any BM25 sum
    all_words_bonus: float = 30.0  # added when every query word matches somewhere
    type_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TYPE_WEIGHTS)
    lifecycle_weights: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_LIFECYCLE_WEIGHTS
    )
    popularity_weight: float = 0.3  # at popularity_cap uses the boost grows by this share
    popularity_cap: float = 1000.0
    quality_weight: float = 0.2  # quality 1.0 vs 0.0; unknown quality counts as 0.5
    criticality_weight: float = 0.2  # critical vs low
    deleted_weight: float = 0.5
    rrf_k: float = 10.0
    keyword_weight: float = 1.0  # weight of the keyword list in the fusion
    semantic_weight: float = 1.5  # weight of the embedding list in the fusion
    lexical_semantic_share: float = 0.25  # of that, when the query looks like a name or
    # the best keyword hit's name holds every query word
    semantic_min_similarity: float = 0.45  # cosine below this is not a semantic match
    semantic_window: int = 100  # how many of each list the fusion looks at
    semantic_columns_weight: float = 0.3  # a table's column names vs its name, in its vector
    facet_size: int = 50  # buckets per facet

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


def document_boost(doc: SearchDocument, config: RankingConfig) -> float:
    """The factor a document's text relevance is multiplied by (about 0.3 .. 1.7)."""
    boost = config.type_weights.get(doc.type, 1.0)
    pop = min(1.0, math.log1p(max(doc.popularity, 0.0)) / math.log1p(config.popularity_cap))
    quality = 0.5 if doc.quality is None else min(max(doc.quality, 0.0), 1.0)
    crit = CRITICALITY_LEVELS.get(doc.criticality or "", 0.0)
    boost *= (
        1.0
        + config.popularity_weight * pop
        + config.quality_weight * (quality - 0.5)
        + config.criticality_weight * crit
    )
    boost *= config.lifecycle_weights.get(doc.lifecycle or "", 1.0)
    if doc.deleted:
        boost *= config.deleted_weight
    return min(max(boost, MIN_BOOST), MAX_BOOST)


def weight_field_value(boost: float) -> float:
    """Tantivy's ``weight_by_field`` multiplies by ``log2(2 + v)``; the ``v`` that makes
    the multiplier ``boost / MIN_BOOST`` (always >= 1, so a valid weight)."""
    return float(2.0 ** (boost / MIN_BOOST) - 2.0)


def rrf_fuse(lists: Iterable[tuple[list[str], float]], k: float) -> dict[str, float]:
    """Weighted reciprocal rank fusion: ``sum(w / (k + rank))`` with 1-based ranks."""
    scores: dict[str, float] = {}
    for keys, weight in lists:
        for rank, key in enumerate(keys, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores
