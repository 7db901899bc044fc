"""Sensitive-data classification: label taxonomy, rule sets, column and free-text engines.

Typical use::

    from sounding.scanning.classification import builtin_ruleset, classify_column

    results = classify_column("email", "VARCHAR(60)", sample_values, builtin_ruleset())
    # [ClassificationResult(label="PII.Email", confidence=0.99, rule="builtin:email", ...)]

Custom rule sets (YAML files or API bodies) use the same format as the built-in rules::

    custom = load_ruleset("rules/acme.yaml")
    results = classify_column(name, data_type, values, builtin_ruleset().combine(custom))
"""

from __future__ import annotations

from sounding.scanning.classification.engine import classify_column, match_value
from sounding.scanning.classification.loader import (
    builtin_ruleset,
    load_ruleset,
    parse_ruleset,
    ruleset_from_dict,
)
from sounding.scanning.classification.matching import ValueMatch
from sounding.scanning.classification.rules import Rule, RuleSet
from sounding.scanning.classification.taxonomy import TAXONOMY, all_labels, get_label
from sounding.scanning.classification.text import find_entities

__all__ = [
    "TAXONOMY",
    "Rule",
    "RuleSet",
    "ValueMatch",
    "all_labels",
    "builtin_ruleset",
    "classify_column",
    "find_entities",
    "get_label",
    "load_ruleset",
    "match_value",
    "parse_ruleset",
    "ruleset_from_dict",
]
