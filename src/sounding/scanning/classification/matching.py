"""Scoring one value (or one text fragment) against a rule's value matchers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sounding.scanning.classification.rules import Rule, ValueMatcher

_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class ValueMatch:
    """What :func:`~.engine.match_value` reports: the value fits ``label`` with ``score``."""

    label: str
    score: float
    rule: str


def token_hits(
    value: str,
    words: frozenset[str],
    suffixes: tuple[str, ...] = (),
    neutral: frozenset[str] = frozenset(),
) -> tuple[int, int]:
    """How many word tokens (2+ letters, neutral ones skipped) of ``value`` are in ``words``
    or end in one of ``suffixes``; and how many tokens were counted."""
    hits = total = 0
    for token in _TOKEN.findall(value.casefold()):
        if len(token) < 2 or token in neutral:
            continue
        total += 1
        if token in words or any(token.endswith(s) and len(token) > len(s) + 1 for s in suffixes):
            hits += 1
    return hits, total


def matcher_score(matcher: ValueMatcher, value: str) -> float:
    """-1 when the matcher does not match; else strength x validator (0 when checks fail)."""
    if not matcher.min_length <= len(value) <= matcher.max_length:
        return -1.0
    if matcher.regex is None:
        return matcher.strength if value.casefold() in matcher.words else -1.0
    if matcher.regex.fullmatch(value) is None:
        return -1.0
    return _checked_score(matcher, value)


def _checked_score(matcher: ValueMatcher, value: str) -> float:
    """Score of a value the matcher's pattern matched: validator, then token dictionary."""
    score = matcher.strength
    if matcher.validator is not None:
        score *= matcher.validator(value)
    if score and matcher.tokens:
        hits, total = token_hits(value, matcher.words, matcher.suffixes, matcher.neutral)
        if not hits or hits < matcher.min_token_share * total:
            return 0.0
    elif score and matcher.words and value.casefold() not in matcher.words:
        return 0.0
    return score


def score_values(matchers: tuple[ValueMatcher, ...], values: Sequence[str]) -> list[float]:
    """Best score per value over ``matchers`` (-1: nothing matched), matcher by matcher.

    The regex (or dictionary) runs over all values in one comprehension; the validator only
    on the values it matched. Much faster than value-by-value calls for a column sample.
    """
    best = [-1.0] * len(values)
    if not values:
        return best
    folded: list[str] | None = None
    lengths = [len(v) for v in values]
    shortest, longest = min(lengths), max(lengths)
    for matcher in matchers:
        lo, hi = matcher.min_length, matcher.max_length
        if longest < lo or shortest > hi:
            continue
        if matcher.regex is None:
            if folded is None:
                folded = [v.casefold() for v in values]
            words = matcher.words
            hits = [i for i, v in enumerate(folded) if v in words and lo <= len(v) <= hi]
            for i in hits:
                best[i] = max(best[i], matcher.strength)
            continue
        fullmatch = matcher.regex.fullmatch
        hits = [i for i, v in enumerate(values) if lo <= len(v) <= hi and fullmatch(v)]
        for i in hits:
            if best[i] < matcher.strength:
                best[i] = max(best[i], _checked_score(matcher, values[i]))
    return best


def rule_value_score(
    rule: Rule, value: str, matchers: tuple[ValueMatcher, ...] | None = None
) -> float:
    """Best matcher score of ``rule`` for one value (-1: nothing matched, 0: failed checks)."""
    best = -1.0
    for matcher in rule.values if matchers is None else matchers:
        if matcher.strength <= best:
            break
        score = matcher_score(matcher, value)
        if score > best:
            best = score
    return best
