"""Tantivy queries from a :class:`SearchQuery`: the scored text part and the filters.

Per query term and text field: a BM25 term query weighted by the field, a prefix query
(terms of three letters or more) and a one-edit fuzzy query (five letters or more), each a
fixed share of the field's weight. A document matches when any query term matches any
field this way (OR); BM25 ranks documents matching more terms, in heavier fields, first.
An exact name or qualified-name match adds ``exact_score``. Filters score nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import tantivy

from sounding.domain.search import SearchFilters
from sounding.search.analysis import FUZZY_MIN_CHARS, PREFIX_MIN_CHARS, normalize_exact
from sounding.search.ranking import RankingConfig

Q = tantivy.Query
SHOULD = tantivy.Occur.Should
MUST = tantivy.Occur.Must
MUST_NOT = tantivy.Occur.MustNot


def _term_clauses(
    schema: tantivy.Schema, term: str, config: RankingConfig
) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for spec in config.fields:
        term_q = Q.term_query(schema, spec.name, term)
        clauses.append((SHOULD, Q.boost_query(term_q, spec.weight)))
        if spec.prefix and len(term) >= PREFIX_MIN_CHARS:
            weight = spec.weight * config.prefix_weight
            if spec.name == "name":  # scored by BM25, so shorter names win
                prefix = Q.term_query(schema, "name_prefix", term)
            else:
                prefix = Q.fuzzy_term_query(schema, spec.name, term, 0, True, True)
            clauses.append((SHOULD, Q.boost_query(prefix, weight)))
        if spec.fuzzy and len(term) >= FUZZY_MIN_CHARS:
            fuzzy = Q.fuzzy_term_query(schema, spec.name, term, 1, True, False)
            clauses.append((SHOULD, Q.boost_query(fuzzy, spec.weight * config.fuzzy_weight)))
    return clauses


def text_query(
    schema: tantivy.Schema,
    terms: Sequence[str],
    raw_text: str,
    config: RankingConfig,
    words: Sequence[str] = (),
) -> tantivy.Query:
    """The scored part: any term in any field, a bonus when every one of ``words`` matches
    somewhere, and the exact-name bonus."""
    per_term = {term: _term_clauses(schema, term, config) for term in terms}
    clauses = [clause for group in per_term.values() for clause in group]
    required = [w for w in words if w in per_term]
    if len(required) > 1 and config.all_words_bonus:
        every = Q.boolean_query([(MUST, Q.boolean_query(per_term[w])) for w in required])
        clauses.append((SHOULD, Q.const_score_query(every, config.all_words_bonus)))
    exact = normalize_exact(raw_text)
    if exact:
        either = Q.boolean_query(
            [
                (SHOULD, Q.term_query(schema, "name_exact", exact)),
                (SHOULD, Q.term_query(schema, "qname_exact", exact)),
            ]
        )
        clauses.append((SHOULD, Q.const_score_query(either, config.exact_score)))
    if not clauses:
        return Q.empty_query()
    return Q.boolean_query(clauses)


def filter_clauses(
    schema: tantivy.Schema, filters: SearchFilters
) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """Non-scoring MUST clauses for every restricting filter."""
    out: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for field_name, values in filters.keyword_fields().items():
        if len(values) == 1:
            query = Q.term_query(schema, field_name, values[0])
        else:
            query = Q.term_set_query(schema, field_name, list(values))
        out.append((MUST, Q.const_score_query(query, 0.0)))
    if filters.quality_min is not None or filters.quality_max is not None:
        lo = 0.0 if filters.quality_min is None else filters.quality_min
        hi = 1.0 if filters.quality_max is None else filters.quality_max
        rng = Q.range_query(schema, "quality", tantivy.FieldType.Float, lo, hi)
        out.append((MUST, Q.const_score_query(rng, 0.0)))
    for field_name in filters.missing:
        out.append((MUST_NOT, Q.exists_query(field_name)))
    if filters.deleted is not None:
        deleted = Q.term_query(schema, "deleted", filters.deleted)
        out.append((MUST, Q.const_score_query(deleted, 0.0)))
    return out


def combine(
    scored: tantivy.Query, filters: list[tuple[tantivy.Occur, tantivy.Query]]
) -> tantivy.Query:
    if not filters:
        return scored
    return Q.boolean_query([(MUST, scored), *filters])


def keyword_query(
    schema: tantivy.Schema,
    terms: Sequence[str],
    raw_text: str,
    filters: SearchFilters,
    config: RankingConfig,
    words: Sequence[str] = (),
) -> tantivy.Query:
    """Everything the keyword search runs; an empty text lists all (filtered) documents."""
    scored = (
        text_query(schema, terms, raw_text, config, words) if raw_text.strip() else Q.all_query()
    )
    return combine(scored, filter_clauses(schema, filters))


def keys_query(
    schema: tantivy.Schema, keys: Sequence[int], filters: SearchFilters
) -> tantivy.Query:
    """The documents with these vector keys that pass the filters."""
    return combine(Q.term_set_query(schema, "vkey", list(keys)), filter_clauses(schema, filters))
