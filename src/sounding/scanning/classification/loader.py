"""Rule-set loading: YAML text, files and plain data, validated field by field.

A rule set is data. The built-in set is a handful of YAML files shipped in ``builtin/``; a
custom set uses exactly the same format (see ``docs/classification.md``). Loading validates
every field and raises :class:`~sounding.errors.ValidationFailedError` whose
``details["errors"]`` lists ``{"loc": "rules[2].values[0].pattern", "msg": ...}`` items, or
:class:`~sounding.errors.ParseError` when the text is not YAML at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sounding.domain.documents import load_yaml
from sounding.errors import ValidationFailedError
from sounding.scanning.classification import validators
from sounding.scanning.classification.distribution import COLUMN_CHECKS
from sounding.scanning.classification.rules import (
    DEFAULT_TYPES,
    TYPE_FAMILIES,
    NamePattern,
    Rule,
    RuleSet,
    ValueMatcher,
)
from sounding.scanning.classification.validators import VALIDATORS

logger = logging.getLogger(__name__)

_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_SET_KEYS = {"version", "name", "description", "min_confidence", "dictionaries", "rules", "disable"}
_RULE_KEYS = {
    "id", "label", "description", "data_types", "names", "exclude_names", "values",
    "requires_name", "min_distinct", "min_share", "min_share_with_name", "context", "text",
    "column_check",
}  # fmt: skip
_VALUE_KEYS = {
    "pattern", "validator", "strength", "ignore_case", "min_length", "max_length",
    "dictionary", "tokens", "min_token_share", "text", "search", "text_strength",
}  # fmt: skip


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, loc: str, msg: str) -> None:
        self.items.append({"loc": loc, "msg": msg})


def parse_ruleset(text: str, source: str = "<string>") -> RuleSet:
    """Parse and validate a rule-set YAML document."""
    data = load_yaml(text, f"Rule set '{source}'", source=source)
    return ruleset_from_dict(data, source)


def load_ruleset(path: str | Path) -> RuleSet:
    """Read, parse and validate a rule-set YAML file."""
    p = Path(path)
    return parse_ruleset(p.read_text(encoding="utf-8"), source=str(p))


def ruleset_from_dict(data: Any, source: str = "<dict>") -> RuleSet:
    """Validate a rule set given as plain data (e.g. a JSON API body) and compile it."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        errors.add("", "a rule set must be a mapping with 'version', 'name' and 'rules'")
        _raise(errors, source)
    _unknown(data, _SET_KEYS, "", errors)
    if data.get("version") != 1:
        errors.add("version", "must be 1")
    name = data.get("name")
    if not isinstance(name, str) or not _ID.fullmatch(name):
        errors.add("name", "required; lower-case letters, digits, '_', '.', '-'")
        name = "invalid"
    min_conf = _number(data, "min_confidence", 0.4, "", errors)
    dictionaries = _dictionaries(data.get("dictionaries", {}), errors)
    raw_rules = data.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        errors.add("rules", "required; a non-empty list of rules")
        raw_rules = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = _rule(raw, f"rules[{i}]", name, dictionaries, errors)
        if rule is None:
            continue
        if rule.id in seen:
            errors.add(f"rules[{i}].id", f"duplicate rule id '{rule.id}'")
        seen.add(rule.id)
        rules.append(rule)
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        errors.add("disable", "must be a list of rule ids")
        disable = []
    if errors.items:
        _raise(errors, source)
    return RuleSet(
        name=name,
        rules=tuple(rules),
        description=str(data.get("description", "")),
        min_confidence=min_conf,
        disable=frozenset(disable),
    )


def _raise(errors: _Errors, source: str) -> Any:
    first = errors.items[0]
    where = f"{first['loc']}: " if first["loc"] else ""
    more = f" (and {len(errors.items) - 1} more)" if len(errors.items) > 1 else ""
    raise ValidationFailedError(
        f"Invalid rule set '{source}': {where}{first['msg']}{more}",
        source=source,
        errors=errors.items,
    )


def _unknown(data: Mapping[str, Any], allowed: set[str], loc: str, errors: _Errors) -> None:
    for key in data:
        if key not in allowed:
            prefix = f"{loc}." if loc else ""
            errors.add(f"{prefix}{key}", f"unknown field; expected one of {sorted(allowed)}")


def _number(data: Mapping[str, Any], key: str, default: float, loc: str, errors: _Errors) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        errors.add(f"{loc}.{key}" if loc else key, "must be a number between 0 and 1")
        return default
    return float(value)


def _dictionaries(raw: Any, errors: _Errors) -> dict[str, frozenset[str]]:
    if not isinstance(raw, Mapping):
        errors.add("dictionaries", "must map dictionary names to word lists")
        return {}
    out: dict[str, frozenset[str]] = {}
    for key, words in raw.items():
        if not isinstance(words, list | str):
            errors.add(f"dictionaries.{key}", "must be a list of words or a newline-separated text")
            continue
        out[str(key)] = _word_set(words)
    return out


def _word_set(words: list[Any] | str) -> frozenset[str]:
    items = words.splitlines() if isinstance(words, str) else [str(w) for w in words]
    return frozenset(w.strip().casefold() for w in items if w.strip())


def _regex(pattern: Any, loc: str, errors: _Errors, flags: int = 0) -> re.Pattern[str] | None:
    if not isinstance(pattern, str) or not pattern:
        errors.add(loc, "must be a non-empty regular expression string")
        return None
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        errors.add(loc, f"invalid regular expression: {exc}")
        return None


def _rule(
    raw: Any, loc: str, ruleset: str, dictionaries: dict[str, frozenset[str]], errors: _Errors
) -> Rule | None:
    if not isinstance(raw, Mapping):
        errors.add(loc, "a rule must be a mapping")
        return None
    _unknown(raw, _RULE_KEYS, loc, errors)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        errors.add(f"{loc}.id", "required; lower-case letters, digits, '_', '.', '-'")
        rule_id = "invalid"
    label = raw.get("label")
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        errors.add(f"{loc}.label", "required; a dotted label name such as 'PII.Email'")
        label = "invalid"
    data_types = raw.get("data_types", sorted(DEFAULT_TYPES))
    if not isinstance(data_types, list) or not set(data_types) <= TYPE_FAMILIES:
        errors.add(f"{loc}.data_types", f"must be a list drawn from {sorted(TYPE_FAMILIES)}")
        data_types = sorted(DEFAULT_TYPES)
    names = _names(raw.get("names", []), f"{loc}.names", errors)
    raw_excludes = _as_list(raw.get("exclude_names", []), f"{loc}.exclude_names", errors)
    excludes = [_regex(p, f"{loc}.exclude_names[{j}]", errors) for j, p in enumerate(raw_excludes)]
    values = _values(raw.get("values", []), f"{loc}.values", dictionaries, errors)
    if not names and not values:
        errors.add(loc, "a rule needs 'names' or 'values' (or both)")
    min_distinct = raw.get("min_distinct", 1)
    if isinstance(min_distinct, bool) or not isinstance(min_distinct, int) or min_distinct < 1:
        errors.add(f"{loc}.min_distinct", "must be a whole number >= 1")
        min_distinct = 1
    context = _as_list(raw.get("context", []), f"{loc}.context", errors)
    column_check = raw.get("column_check")
    if column_check is not None and column_check not in COLUMN_CHECKS:
        errors.add(f"{loc}.column_check", f"unknown column check; known: {sorted(COLUMN_CHECKS)}")
        column_check = None
    return Rule(
        id=rule_id,
        label=label,
        ruleset=ruleset,
        description=str(raw.get("description", "")),
        data_types=frozenset(data_types),
        names=tuple(names),
        exclude_names=tuple(e for e in excludes if e is not None),
        values=tuple(values),
        requires_name=bool(raw.get("requires_name", False)),
        min_distinct=min_distinct,
        min_share=_number(raw, "min_share", 0.6, loc, errors),
        min_share_with_name=_number(raw, "min_share_with_name", 0.3, loc, errors),
        context=tuple(str(c).casefold() for c in context),
        text=bool(raw.get("text", True)),
        column_check=column_check,
    )


def _as_list(value: Any, loc: str, errors: _Errors) -> list[Any]:
    if isinstance(value, list):
        return value
    errors.add(loc, "must be a list")
    return []


def _names(raw: Any, loc: str, errors: _Errors) -> list[NamePattern]:
    out: list[NamePattern] = []
    for j, item in enumerate(_as_list(raw, loc, errors)):
        spec = {"pattern": item} if isinstance(item, str) else item
        if not isinstance(spec, Mapping):
            errors.add(f"{loc}[{j}]", "must be a regex string or {pattern, score}")
            continue
        _unknown(spec, {"pattern", "score"}, f"{loc}[{j}]", errors)
        regex = _regex(spec.get("pattern"), f"{loc}[{j}].pattern", errors)
        score = _number(spec, "score", 0.9, f"{loc}[{j}]", errors)
        if regex is not None:
            out.append(NamePattern(regex, score))
    return out


def _values(
    raw: Any, loc: str, dictionaries: dict[str, frozenset[str]], errors: _Errors
) -> list[ValueMatcher]:
    out: list[ValueMatcher] = []
    for j, item in enumerate(_as_list(raw, loc, errors)):
        spec = {"pattern": item} if isinstance(item, str) else item
        here = f"{loc}[{j}]"
        if not isinstance(spec, Mapping):
            errors.add(here, "must be a regex string or a mapping")
            continue
        _unknown(spec, _VALUE_KEYS, here, errors)
        matcher = _matcher(spec, here, dictionaries, errors)
        if matcher is not None:
            out.append(matcher)
    return sorted(out, key=lambda m: -m.strength)


def _matcher(
    spec: Mapping[str, Any], loc: str, dictionaries: dict[str, frozenset[str]], errors: _Errors
) -> ValueMatcher | None:
    strength = _number(spec, "strength", 0.8, loc, errors)
    words = _lookup_words(spec.get("dictionary"), f"{loc}.dictionary", dictionaries, errors)
    token_words = _lookup_words(spec.get("tokens"), f"{loc}.tokens", dictionaries, errors)
    pattern = spec.get("pattern")
    if pattern is None and words is None:
        errors.add(loc, "needs 'pattern' or 'dictionary'")
        return None
    flags = re.IGNORECASE if spec.get("ignore_case", False) else 0
    regex = search = None
    if pattern is not None:
        regex = _regex(pattern, f"{loc}.pattern", errors, flags)
        search_pattern = spec.get("search", pattern)
        if regex is not None:
            search = _regex(
                rf"(?<![\w@.+:/\\-])(?:{search_pattern})(?![\w@-]|\.\w)",
                f"{loc}.search",
                errors,
                flags,
            )
    validator_name = spec.get("validator")
    validator = None
    if validator_name is not None:
        validator = VALIDATORS.get(str(validator_name))
        if validator is None:
            errors.add(f"{loc}.validator", f"unknown validator; known: {sorted(VALIDATORS)}")
    all_words = (words or frozenset()) | (token_words or frozenset())
    width = _width(regex)
    return ValueMatcher(
        strength=strength,
        regex=regex,
        search=search,
        validator=validator,
        validator_name=str(validator_name) if validator_name else None,
        words=frozenset(w for w in all_words if not w.startswith(("*", "~"))),
        suffixes=tuple(sorted(w[1:] for w in all_words if w.startswith("*"))),
        neutral=frozenset(w[1:] for w in all_words if w.startswith("~")),
        tokens=token_words is not None,
        min_token_share=_number(spec, "min_token_share", 0.5, loc, errors),
        min_length=max(int(spec.get("min_length", 1)), width[0]),
        max_length=min(int(spec.get("max_length", 256)), width[1]),
        text=bool(spec.get("text", True)),
        text_strength=(
            _number(spec, "text_strength", strength, loc, errors)
            if "text_strength" in spec
            else None
        ),
    )


def _width(regex: re.Pattern[str] | None) -> tuple[int, int]:
    """Shortest and longest text the regex can match (to skip it cheaply by length)."""
    if regex is None:
        return 1, 256
    try:
        low, high = re._parser.parse(regex.pattern, regex.flags).getwidth()  # type: ignore[attr-defined]
    except Exception:  # a private helper of re: if it ever goes, we only lose speed
        return 1, 256
    return max(1, int(low)), min(256, int(high))


def _lookup_words(
    ref: Any, loc: str, dictionaries: dict[str, frozenset[str]], errors: _Errors
) -> frozenset[str] | None:
    """A dictionary reference: inline list, a name, or a list of names (set or builtin)."""
    if ref is None:
        return None
    if isinstance(ref, str):
        ref = [ref]
    if not isinstance(ref, list):
        errors.add(loc, "must be a dictionary name or a list of words")
        return None
    names = [r for r in ref if isinstance(r, str) and r.startswith("@")]
    words = _word_set([r for r in ref if not (isinstance(r, str) and r.startswith("@"))])
    for name in names:
        found = dictionaries.get(name[1:]) or builtin_dictionary(name[1:])
        if found is None:
            errors.add(loc, f"unknown dictionary '{name}'")
        else:
            words |= found
    return words


@cache
def builtin_dictionary(name: str) -> frozenset[str] | None:
    """A word list shipped in ``builtin/dictionaries/<name>.yaml``, or None."""
    files = resources.files(__package__).joinpath("builtin", "dictionaries")
    path = files.joinpath(f"{name}.yaml")
    if not _ID.fullmatch(name) or not path.is_file():
        return None
    data = load_yaml(path.read_text(encoding="utf-8"), f"Dictionary '{name}'", source=name)
    return _word_set(data["words"])


@lru_cache(maxsize=1)
def builtin_ruleset() -> RuleSet:
    """The built-in rules: every ``builtin/*.yaml`` file, in file-name order."""
    folder = resources.files(__package__).joinpath("builtin")
    parts = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    sets = [parse_ruleset(p.read_text(encoding="utf-8"), p.name) for p in parts]
    rules = tuple(r for s in sets for r in s.rules)
    validators.preload()
    logger.debug("Loaded %d built-in classification rules from %d files", len(rules), len(sets))
    return RuleSet(name="builtin", rules=rules, description="Sounding built-in rules")
