"""Why a document matched, and the snippet that shows it: built from a hit's payload with
the same matching rules the index uses."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from sounding.domain.search import Hit, MatchReason
from sounding.search.analysis import analyze, highlight, normalize_exact, term_matches
from sounding.search.ranking import RankingConfig

MAX_SNIPPET_COLUMNS = 8

# payload key(s) -> reason, and the index field whose matching rules apply
_CHECKS: tuple[tuple[MatchReason, tuple[str, ...], str], ...] = (
    (MatchReason.NAME, ("name",), "name"),
    (MatchReason.QUALIFIED_NAME, ("source", "qualified_name"), "qualified_name"),
    (MatchReason.DESCRIPTION, ("description",), "description"),
    (MatchReason.COLUMN, ("columns",), "columns"),
    (MatchReason.CLASSIFICATION, ("classifications",), "labels"),
    (MatchReason.GLOSSARY, ("glossary_terms",), "labels"),
    (MatchReason.TAG, ("tags",), "labels"),
    (MatchReason.OWNER, ("owner", "steward"), "people"),
    (MatchReason.DOMAIN, ("domain",), "people"),
)


def _texts(payload: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for key in keys:
        value = payload.get(key)
        if isinstance(value, list):
            out.extend(str(v) for v in value)
        elif value:
            out.append(str(value))
    return out


def _matches(texts: Sequence[str], terms: Sequence[str], prefix: bool, fuzzy: bool) -> bool:
    return any(
        term_matches(q, t, prefix=prefix, fuzzy=fuzzy)
        for text in texts
        for t in analyze(text)
        for q in terms
    )


def is_exact(payload: dict[str, Any], raw_text: str) -> bool:
    exact = normalize_exact(raw_text)
    return bool(exact) and exact in (
        normalize_exact(payload.get("name")),
        normalize_exact(payload.get("qualified_name")),
    )


def names_cover(payload: dict[str, Any], words: Sequence[str]) -> bool:
    """Does every query word match the document's name or qualified name?"""
    terms = analyze(str(payload.get("name") or "")) + analyze(
        str(payload.get("qualified_name") or "")
    )
    return bool(words) and all(
        any(term_matches(w, t, prefix=True, fuzzy=True) for t in terms) for w in words
    )


def reasons(
    payload: dict[str, Any],
    terms: Sequence[str],
    raw_text: str,
    config: RankingConfig,
    *,
    semantic: bool = False,
) -> tuple[MatchReason, ...]:
    out: list[MatchReason] = []
    if is_exact(payload, raw_text):
        out.append(MatchReason.EXACT)
    for reason, keys, field_name in _CHECKS:
        spec = config.field(field_name)
        if _matches(_texts(payload, keys), terms, spec.prefix, spec.fuzzy):
            out.append(reason)
    if semantic:
        out.append(MatchReason.SEMANTIC)
    return tuple(out)


def snippet(payload: dict[str, Any], terms: Sequence[str], why: Sequence[MatchReason]) -> str:
    """The most telling text of the hit, matches in ``<mark>``, HTML-escaped."""
    description = str(payload.get("description") or "")
    if MatchReason.DESCRIPTION in why:
        return highlight(description, terms)[0]
    if MatchReason.COLUMN in why and MatchReason.NAME not in why:
        cols = [str(c) for c in payload.get("columns", [])]
        marked = [(highlight(c, terms, window=200)) for c in cols]
        shown = [m for m, hit in marked if hit][:MAX_SNIPPET_COLUMNS]
        return "columns: " + ", ".join(shown)
    for reason, key in (
        (MatchReason.CLASSIFICATION, "classifications"),
        (MatchReason.GLOSSARY, "glossary_terms"),
        (MatchReason.TAG, "tags"),
    ):
        if reason in why and MatchReason.NAME not in why:
            labels = [str(v) for v in payload.get(key, [])]
            return ", ".join(highlight(v, terms, window=200)[0] for v in labels)
    qualified = str(payload.get("qualified_name") or payload.get("name") or "")
    text = highlight(qualified, terms, window=200)[0]
    if description:
        text += " — " + html.escape(description[:120]) + ("…" if len(description) > 120 else "")
    return text


def build_hit(
    payload: dict[str, Any],
    score: float,
    terms: Sequence[str],
    raw_text: str,
    config: RankingConfig,
    *,
    semantic: bool = False,
) -> Hit:
    why = reasons(payload, terms, raw_text, config, semantic=semantic)
    return Hit(
        id=int(payload["id"]),
        urn=str(payload["urn"]),
        name=str(payload["name"]),
        qualified_name=str(payload["qualified_name"]),
        type=str(payload["type"]),
        score=score,
        snippet=snippet(payload, terms, why),
        reasons=why,
        source=payload.get("source"),
        description=payload.get("description"),
    )
