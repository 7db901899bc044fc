"""Entities inside free text (CSV/JSON text columns, notes, comments).

Every value matcher of every rule also has a *search* form of its pattern, bounded so it does
not start or end inside a longer token. Candidates are validated exactly like column values.
A candidate whose strength is below ``min_score`` (weak formats, rules that need a column
name) counts only when one of the rule's context words appears shortly before it, e.g.
"passport number" before ``A12803456``. Overlapping candidates keep the best-scoring one.
"""

from __future__ import annotations

import re

from sounding.domain.classification import EntitySpan
from sounding.scanning.classification.loader import builtin_ruleset
from sounding.scanning.classification.matching import matcher_score, token_hits
from sounding.scanning.classification.rules import Rule, RuleSet, ValueMatcher

CONTEXT_WINDOW = 48
CONTEXT_BOOST = 0.35
_WORD = re.compile(r"[^\W_]+")
_TRAILING = ".,;:!?)]}'\""


def find_entities(
    text: str, ruleset: RuleSet | None = None, *, min_score: float = 0.5
) -> list[EntitySpan]:
    """Entities found in ``text``, in order of position."""
    rules = ruleset or builtin_ruleset()
    if len(text) < 2:
        return []
    lowered = text.casefold()
    candidates: list[EntitySpan] = []
    for rule in rules.rules:
        if not rule.text:
            continue
        for matcher in rule.values:
            if matcher.search is None or not matcher.text:
                continue
            for m in matcher.search.finditer(text):
                span = _candidate(rule, matcher, text, lowered, m.start(), m.end(), min_score)
                if span is not None:
                    candidates.append(span)
    return _without_overlaps(candidates)


def _candidate(
    rule: Rule,
    matcher: ValueMatcher,
    text: str,
    lowered: str,
    start: int,
    end: int,
    min_score: float,
) -> EntitySpan | None:
    fragment = text[start:end]
    score = matcher_score(matcher, fragment)
    if score <= 0 and fragment[-1] in _TRAILING:
        fragment = fragment.rstrip(_TRAILING)
        score = matcher_score(matcher, fragment)
    while score <= 0 and " " in fragment.rstrip():
        # a greedy match may have swallowed the next word ("DE89 3704 ... AND"): back off
        fragment = fragment.rstrip().rsplit(" ", 1)[0]
        score = matcher_score(matcher, fragment)
    end = start + len(fragment)
    if score <= 0:
        return None
    if matcher.tokens:  # drop trailing words that add nothing ("500 elm street now")
        fragment = _trim_words(matcher, fragment)
    end = start + len(fragment)
    if matcher.text_strength is not None:
        score *= matcher.text_strength / matcher.strength
    needs_context = rule.requires_name or score < min_score
    if needs_context:
        if not _has_context(rule, lowered, start, end):
            return None
        score = min(1.0, max(score, min_score) + CONTEXT_BOOST)
    return EntitySpan(
        label=rule.label,
        start=start,
        end=end,
        text=fragment,
        score=round(score, 4),
        rule=rule.qualified_id,
    )


def _trim_words(matcher: ValueMatcher, fragment: str) -> str:
    hits = token_hits(fragment, matcher.words, matcher.suffixes, matcher.neutral)[0]
    while " " in fragment:
        shorter = fragment.rsplit(" ", 1)[0].rstrip(" ,")
        if token_hits(shorter, matcher.words, matcher.suffixes, matcher.neutral)[0] < hits:
            break
        if matcher_score(matcher, shorter) <= 0:
            break
        fragment = shorter
    return fragment


def _has_context(rule: Rule, lowered: str, start: int, end: int) -> bool:
    if not rule.context:
        return False
    before = lowered[max(0, start - CONTEXT_WINDOW) : start]
    after = lowered[end : end + CONTEXT_WINDOW // 2]
    window = f"{before} {after}"
    words = set(_WORD.findall(window))
    return any((c in words) if c.isalnum() else (c in window) for c in rule.context)


def _without_overlaps(candidates: list[EntitySpan]) -> list[EntitySpan]:
    """Best-scoring span wins an overlap. Exactly the same span under several labels (a
    9-digit number that passes two checksums) is kept under each: the text is ambiguous."""
    kept: list[EntitySpan] = []
    for span in sorted(candidates, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        same = [k for k in kept if k.start == span.start and k.end == span.end]
        ambiguous = bool(same) and all(k.label != span.label for k in same)
        if ambiguous or all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, -s.score))
