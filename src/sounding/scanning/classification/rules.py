"""Classification rules and rule sets in their compiled form (see :mod:`.loader` for YAML)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sounding.scanning.classification.validators import Validator

TYPE_FAMILIES = frozenset({"string", "integer", "decimal", "temporal", "unknown"})
DEFAULT_TYPES = TYPE_FAMILIES


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A regex over the normalized column name (lower case, words separated by one space)."""

    regex: re.Pattern[str]
    score: float


@dataclass(frozen=True, slots=True)
class ValueMatcher:
    """One way a value can match: a regex (+ validator, + token dictionary) or a dictionary.

    ``strength`` is the evidence one validated value gives; below 0.5 a matcher can only
    support a column-name match, never label a column on its own.
    """

    strength: float
    regex: re.Pattern[str] | None = None
    search: re.Pattern[str] | None = None
    validator: Validator | None = None
    validator_name: str | None = None
    words: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    neutral: frozenset[str] = frozenset()
    tokens: bool = False
    min_token_share: float = 0.5
    min_length: int = 1
    max_length: int = 256
    text: bool = True
    text_strength: float | None = None  # strength in free text, if not ``strength``


@dataclass(frozen=True, slots=True)
class Rule:
    """Evidence that a column holds one label: name patterns, value matchers, thresholds."""

    id: str
    label: str
    ruleset: str = "builtin"
    description: str = ""
    data_types: frozenset[str] = DEFAULT_TYPES
    names: tuple[NamePattern, ...] = ()
    exclude_names: tuple[re.Pattern[str], ...] = ()
    values: tuple[ValueMatcher, ...] = ()
    requires_name: bool = False
    min_distinct: int = 1
    min_share: float = 0.6
    min_share_with_name: float = 0.3
    context: tuple[str, ...] = ()
    text: bool = True
    column_check: str | None = None  # a check of the whole value distribution (distribution.py)

    @property
    def strong_values(self) -> tuple[ValueMatcher, ...]:
        """Matchers strong enough (>= 0.5) to label a column without a name match."""
        return tuple(m for m in self.values if m.strength >= 0.5)

    @property
    def qualified_id(self) -> str:
        return f"{self.ruleset}:{self.id}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """An ordered collection of rules; ``combine`` stacks custom sets on the built-in one."""

    name: str
    rules: tuple[Rule, ...]
    description: str = ""
    min_confidence: float = 0.4
    disable: frozenset[str] = field(default_factory=frozenset)

    def combine(self, *others: RuleSet) -> RuleSet:
        """This set followed by ``others``; their ``disable`` lists switch rules off by id."""
        disabled = set().union(*(o.disable for o in others)) if others else set()
        rules = [r for r in self.rules if r.id not in disabled and r.qualified_id not in disabled]
        for other in others:
            rules.extend(other.rules)
        names = "+".join([self.name, *(o.name for o in others)])
        return replace(self, name=names, rules=tuple(rules))

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(r.label for r in self.rules)


def rules_for_labels(ruleset: RuleSet, labels: Iterable[str]) -> RuleSet:
    """A copy of ``ruleset`` restricted to ``labels`` (handy for tests and targeted scans)."""
    wanted = set(labels)
    return replace(ruleset, rules=tuple(r for r in ruleset.rules if r.label in wanted))
