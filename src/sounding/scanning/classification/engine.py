"""Column classification: combine name, value and type evidence into labelled results.

For each rule the engine measures two things: how well the column *name* matches the rule's
name patterns, and which share of the sampled distinct non-null *values* match one of its
value matchers and pass the validator. A rule labels a column when

* its values alone are convincing: share >= ``min_share`` (all of them when fewer than 5
  distinct values were sampled: 2 of 3 numbers passing a mod-10 check is chance), at least
  ``min_distinct`` distinct values, and a mean strength of at least 0.5 (weak formats such
  as bare digit strings or passport-like codes never label a column on their own), or
* a name match is backed by values: share >= ``min_share_with_name`` for a strong name
  (score >= 0.8), ``min_share`` for a weak one, or
* a name match (score >= 0.6) stands alone because no values were sampled (metadata-only
  scan), or a strong match of the *whole* name (``ssn``, not ``num_ssn_checks``) stands
  against contradicting values, then with a low confidence and only if nothing else
  explains the values.

A column name that matches one of the rule's ``exclude_names`` rules the label out
(``email_verified`` is not an e-mail column, ``card_holder_name`` is not a card number).

Speed: values are de-duplicated before anything else, at most ``max_distinct`` distinct values
are examined, every matcher checks length before its (precompiled) regex and runs its validator
only on a regex match, and a rule whose pilot sample (the first 48 distinct values) is far below
its threshold stops early.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sounding.domain.classification import ClassificationResult, Evidence
from sounding.scanning.classification.columns import (
    ColumnName,
    ColumnSample,
    normalize_name,
    sample_column,
    type_family,
)
from sounding.scanning.classification.distribution import COLUMN_CHECKS
from sounding.scanning.classification.loader import builtin_ruleset
from sounding.scanning.classification.matching import (
    ValueMatch,
    matcher_score,
    rule_value_score,
    score_values,
)
from sounding.scanning.classification.rules import Rule, RuleSet, ValueMatcher
from sounding.scanning.classification.text import find_entities

logger = logging.getLogger(__name__)

PILOT = 48
SMALL_SAMPLE = 5  # below this many distinct values, values alone must all validate
STRONG_NAME = 0.8
CONTRADICTED = 0.45
METADATA_ONLY = 0.8
METADATA_MIN_NAME = 0.6
TEXT_SAMPLE = 200


@dataclass(slots=True)
class ValueStats:
    sample_size: int = 0
    matched: int = 0
    validated: int = 0
    strength_sum: float = 0.0
    stopped_early: bool = False

    @property
    def matched_share(self) -> float:
        return self.matched / self.sample_size if self.sample_size else 0.0

    @property
    def validated_share(self) -> float:
        return self.validated / self.sample_size if self.sample_size else 0.0

    @property
    def mean_strength(self) -> float:
        return self.strength_sum / self.validated if self.validated else 0.0


def evaluate_values(
    rule: Rule, values: Sequence[str], needed_share: float, *, named: bool = True
) -> ValueStats:
    """Match ``values`` against the rule. Without a name match only strong matchers run. The
    pilot sample must reach half the needed share (unnamed, also a mean strength of 0.4),
    or the rest is not examined."""
    matchers = rule.values if named else rule.strong_values
    stats = ValueStats()
    if not matchers:
        return stats
    end = len(values)
    pilot_end = min(end, PILOT)
    _accumulate(matchers, values, 0, pilot_end, stats)
    if pilot_end < end:
        weak = not named and stats.mean_strength < 0.4
        if stats.validated_share < needed_share * 0.5 or weak:
            stats.stopped_early = True
            return stats
        _accumulate(matchers, values, pilot_end, end, stats)
    return stats


def _accumulate(
    matchers: tuple[ValueMatcher, ...],
    values: Sequence[str],
    start: int,
    end: int,
    stats: ValueStats,
) -> None:
    matched = validated = 0
    strength = 0.0
    for score in score_values(matchers, values[start:end]):
        if score >= 0:
            matched += 1
            if score > 0:
                validated += 1
                strength += score
    stats.sample_size += end - start
    stats.matched += matched
    stats.validated += validated
    stats.strength_sum += strength


VETO = -1.0


@dataclass(frozen=True, slots=True)
class NameMatch:
    score: float = 0.0
    pattern: str | None = None
    whole: bool = False  # the pattern matched the entire column name ("ssn", not "num_ssn")


def name_evidence(rule: Rule, column: ColumnName) -> NameMatch:
    """Best name-pattern match; score 0 for none, :data:`VETO` when an exclude pattern rules
    the label out. A key column (``address_id``) counts only if the match covers the suffix."""
    text = column.text
    if not text:
        return NameMatch()
    for exclude in rule.exclude_names:
        if exclude.search(text):
            return NameMatch(VETO, exclude.pattern)
    best = NameMatch()
    is_key = column.is_key
    for name in rule.names:
        if name.score <= best.score:
            continue
        m = name.regex.search(text)
        if m is None or (is_key and m.end() < len(text)):
            continue
        whole = m.start() == 0 and m.end() == len(text)
        best = NameMatch(name.score, name.regex.pattern, whole)
    return best


def _small_sample(size: int) -> float:
    return min(1.0, 0.7 + 0.1 * size)


def decide(
    rule: Rule, name_score: float, stats: ValueStats, whole_name: bool = False
) -> tuple[float, str] | None:
    """Confidence and evidence source for one rule on one column, or None."""
    share, strength = stats.validated_share, stats.mean_strength
    value_conf = share * strength * _small_sample(stats.sample_size)
    values_alone = (
        not rule.requires_name
        and strength >= 0.5
        and share >= rule.min_share
        and stats.sample_size >= rule.min_distinct
        and (stats.sample_size >= SMALL_SAMPLE or stats.validated == stats.sample_size)
    )
    if name_score <= 0:
        return (value_conf, "values") if values_alone else None
    needed = rule.min_share_with_name if name_score >= STRONG_NAME else rule.min_share
    if values_alone or (share >= needed and stats.validated):
        return 1.0 - (1.0 - 0.9 * name_score) * (1.0 - value_conf), "name+values"
    if name_score >= STRONG_NAME and whole_name:
        return name_score * CONTRADICTED, "name"
    return None


@dataclass(slots=True)
class _Column:
    name: ColumnName
    family: str
    sample: ColumnSample
    data_type: str | None
    results: list[ClassificationResult] = field(default_factory=list)

    def evidence(
        self, source: str, name_score: float, pattern: str | None, stats: ValueStats
    ) -> Evidence:
        return Evidence(
            source=source,
            name_score=round(name_score, 4),
            name_pattern=pattern,
            matched_share=round(stats.matched_share, 4),
            validated_share=round(stats.validated_share, 4),
            value_strength=round(stats.mean_strength, 4),
            matched_values=stats.validated,
            sample_size=stats.sample_size,
            distinct_values=self.sample.distinct,
            non_null_values=self.sample.non_null,
            total_values=self.sample.total,
            data_type=self.data_type,
        )


def classify_column(
    name: str,
    data_type: str | None,
    values: Sequence[object],
    ruleset: RuleSet | None = None,
    *,
    max_distinct: int | None = 1000,
) -> list[ClassificationResult]:
    """Labels for one column, best first. ``values`` is the column sample (nulls included)."""
    rules = ruleset or builtin_ruleset()
    family = type_family(data_type)
    if family in ("boolean", "binary"):
        return []
    col = _Column(normalize_name(name), family, sample_column(values, max_distinct), data_type)
    for rule in rules.rules:
        if family in rule.data_types:
            _apply_rule(rule, col)
    if _looks_like_text(col.sample.values):
        col.results.extend(_text_results(col, rules))
    _email_in_text(col, rules)
    return rank_results(col.results, rules.min_confidence)


def _apply_rule(rule: Rule, col: _Column) -> None:
    name = name_evidence(rule, col.name)
    name_score, pattern = name.score, name.pattern
    if name_score == VETO:
        return
    values = col.sample.values
    if not values or not rule.values:
        if name_score >= METADATA_MIN_NAME:
            conf = name_score * METADATA_ONLY
            col.results.append(
                _result(rule, conf, col.evidence("name", name_score, pattern, ValueStats()))
            )
        return
    if rule.requires_name and name_score <= 0:
        return
    needed = rule.min_share_with_name if name_score >= STRONG_NAME else rule.min_share
    stats = evaluate_values(rule, values, needed, named=name_score > 0)
    decision = decide(rule, name_score, stats, name.whole)
    if decision is None and rule.column_check and not rule.requires_name and not col.name.is_key:
        stats, decision = _column_check(rule, values, name_score, name.whole)
    if decision is not None:
        conf, source = decision
        col.results.append(_result(rule, conf, col.evidence(source, name_score, pattern, stats)))


def _column_check(
    rule: Rule, values: Sequence[str], name_score: float, whole_name: bool
) -> tuple[ValueStats, tuple[float, str] | None]:
    """The rule's check of the whole value distribution, as if each fitting value had
    validated with the strength the column earned (see :mod:`.distribution`)."""
    fitting, strength = COLUMN_CHECKS[str(rule.column_check)](values)
    stats = ValueStats(sample_size=len(values), matched=fitting, validated=fitting)
    stats.strength_sum = strength * fitting
    return stats, decide(rule, name_score, stats, whole_name) if fitting else None


def _result(rule: Rule, confidence: float, evidence: Evidence) -> ClassificationResult:
    return ClassificationResult(
        label=rule.label, confidence=round(confidence, 4), rule=rule.qualified_id, evidence=evidence
    )


def rank_results(
    results: list[ClassificationResult], min_confidence: float
) -> list[ClassificationResult]:
    """Best result first; one per label; alternatives only if their own name supports them.

    Entities found inside free text come after what the whole values or the name say (a
    postcode inside an address column does not make it a postcode column).

    Two value-only explanations of the same values (a 9-digit number that passes two
    checksums) are rivals, so only the stronger is kept. A name contradicted by the values is
    dropped when another label explains them.
    """
    ordered = sorted(results, key=lambda r: (r.evidence.source == "text", -r.confidence))
    kept: list[ClassificationResult] = []
    labels: set[str] = set()
    for result in ordered:
        if result.confidence < min_confidence or result.label in labels:
            continue
        if kept and result.evidence.name_score <= 0 and result.evidence.source != "text":
            continue
        contradicted = result.evidence.source == "name" and result.evidence.sample_size > 0
        if contradicted and any(k.evidence.validated_share > 0 for k in kept):
            continue
        kept.append(result)
        labels.add(result.label)
    return kept


_WORDS = re.compile(r"[^\W\d_]{2,}")


def _looks_like_text(values: Sequence[str]) -> bool:
    """Free text: most values are 25+ characters with at least four words of 2+ letters."""
    head = values[:50]
    if not head:
        return False
    texty = sum(1 for v in head if len(v) >= 25 and len(_WORDS.findall(v)) >= 4)
    return texty * 2 >= len(head)


def _text_results(col: _Column, rules: RuleSet) -> list[ClassificationResult]:
    """Free-text columns: the share of values that contain each kind of entity."""
    values = col.sample.values[:TEXT_SAMPLE]
    hits: dict[str, int] = {}
    rule_of: dict[str, str] = {}
    for value in values:
        for label, rule_id in {(s.label, s.rule) for s in find_entities(value, rules)}:
            hits[label] = hits.get(label, 0) + 1
            rule_of[label] = rule_id
    out = []
    for label, count in hits.items():
        share = count / len(values)
        stats = ValueStats(sample_size=len(values), matched=count, validated=count)
        stats.strength_sum = float(count)
        evidence = col.evidence("text", 0.0, None, stats)
        conf = min(0.95, 0.55 + 0.4 * min(1.0, 5 * share))
        out.append(
            ClassificationResult(
                label=label, confidence=conf, rule=rule_of[label], evidence=evidence
            )
        )
    return out


EMAIL = "PII.Email"
EMAIL_IN_TEXT = "PII.EmailInText"
EMAIL_IN_TEXT_RULE = "builtin:email_in_text"
IN_TEXT_SHARE = 0.3
_ADDRESS_WRAPPING = re.compile(r"(?i)mailto:|[\s<>\[\]()\"',;:]+")


def _email_in_text(col: _Column, rules: RuleSet) -> None:
    """A column whose values *contain* e-mail addresses among other words (message bodies,
    ``"Ann Lee" <ann@example.com>`` headers) is ``PII.EmailInText``, not ``PII.Email``: the
    addresses are there, but the column is not one of addresses. Replaces the e-mail label
    found in free text, and adds the label for shorter values (headers) when at least
    30 % of the sampled values hold an address next to other words; an ``email`` column name
    the values contradict gives way too. Nothing changes when the values themselves are
    addresses (``PII.Email`` from values)."""
    if any(r.label == EMAIL and r.evidence.source != "text" and r.evidence.validated_share > 0
           for r in col.results):  # fmt: skip
        return
    values = col.sample.values[:TEXT_SAMPLE]
    if not any("@" in v for v in values):
        return
    in_text = [r for r in col.results if r.label == EMAIL and r.evidence.source == "text"]
    matchers = [m for r in rules.rules if r.label == EMAIL for m in r.values if m.search]
    if not matchers:
        return
    hits = 0
    for value in values:
        if "@" not in value:
            continue
        rest, found = value, False
        for matcher in matchers:
            for m in matcher.search.finditer(value):  # type: ignore[union-attr]
                if matcher_score(matcher, m.group().rstrip(".")) > 0:
                    found = True
                    rest = rest.replace(m.group(), " ")
        hits += found and bool(_ADDRESS_WRAPPING.sub("", rest))
    share = hits / len(values)
    if not hits or (share < IN_TEXT_SHARE and not in_text):
        return
    # the e-mail label from text, or from a name ("email") the values contradict, gives way
    col.results = [r for r in col.results if r not in in_text and r.label != EMAIL]
    stats = ValueStats(sample_size=len(values), matched=hits, validated=hits)
    stats.strength_sum = float(hits)
    conf = min(0.95, 0.55 + 0.4 * min(1.0, 5 * share))
    col.results.append(
        ClassificationResult(
            label=EMAIL_IN_TEXT,
            confidence=round(conf, 4),
            rule=EMAIL_IN_TEXT_RULE,
            evidence=col.evidence("text", 0.0, None, stats),
        )
    )


def match_value(value: str, ruleset: RuleSet | None = None) -> list[ValueMatch]:
    """Every label whose value matchers accept ``value`` (any strength), best first."""
    rules = ruleset or builtin_ruleset()
    text = value.strip()
    found: dict[str, ValueMatch] = {}
    for rule in rules.rules:
        score = rule_value_score(rule, text)
        if score > 0 and score > getattr(found.get(rule.label), "score", 0.0):
            found[rule.label] = ValueMatch(rule.label, round(score, 4), rule.qualified_id)
    return sorted(found.values(), key=lambda m: -m.score)
