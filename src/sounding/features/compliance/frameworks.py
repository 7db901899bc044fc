"""Compliance frameworks as data: the YAML format, its JSON Schema, loading and validation.

A framework is a list of requirements; each says which assets it applies to (classification
label families, tags) at which level (``table`` or ``column``), and which controls those
assets must pass. The built-in frameworks (GDPR, CCPA, HIPAA, PCI DSS) are YAML files in
``frameworks/`` next to this module; user frameworks use exactly the same format (see
``docs/compliance.md``). Validation raises :class:`~sounding.errors.ValidationFailedError`
whose ``details["errors"]`` lists ``{"loc": "requirements[1].controls[0]", "msg": ...}``
items, or :class:`~sounding.errors.ParseError` when the text is not YAML.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from sounding.domain.documents import load_yaml
from sounding.errors import ValidationFailedError

logger = logging.getLogger(__name__)

SEVERITIES = ("low", "medium", "high", "critical")
SCOPES = ("table", "column")
# control name -> the kind of argument it takes (None: no argument)
CONTROLS: dict[str, str | None] = {
    "has_owner": None,
    "has_steward": None,
    "has_description": None,
    "has_domain": None,
    "has_criticality": None,
    "has_property": "name",
    "tag_present": "name",
    "access_restricted": None,
    "classification_confirmed": None,
    "values_not_readable": "options",
}

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name", "requirements"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,62}$"},
        "name": {"type": "string", "minLength": 1},
        "version": {"type": ["string", "number"]},
        "tag": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
        "description": {"type": "string"},
        "url": {"type": "string"},
        "requirements": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/req"}},
    },
    "$defs": {
        "req": {
            "type": "object",
            "required": ["id", "title", "severity", "applies_to", "controls"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": _NAME},
                "title": {"type": "string", "minLength": 1},
                "reference": {"type": "string"},
                "description": {"type": "string"},
                "severity": {"enum": list(SEVERITIES)},
                "applies_to": {
                    "type": "object",
                    "additionalProperties": False,
                    "anyOf": [{"required": ["labels"]}, {"required": ["tags"]}],
                    "properties": {
                        "labels": {"type": "array", "items": {"type": "string", "minLength": 1}},
                        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                        "scope": {"enum": list(SCOPES)},
                    },
                },
                "controls": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/ctl"}},
            },
        },
        "ctl": {
            "oneOf": [
                {"type": "string"},
                {"type": "object", "minProperties": 1, "maxProperties": 1},
            ]
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class Control:
    name: str
    arg: Any = None

    def describe(self) -> str:
        return f"{self.name}: {self.arg}" if isinstance(self.arg, str) else self.name


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    reference: str
    description: str
    severity: str
    labels: tuple[str, ...]
    tags: tuple[str, ...]
    scope: str
    controls: tuple[Control, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "reference": self.reference,
            "description": self.description,
            "severity": self.severity,
            "applies_to": {
                "labels": list(self.labels),
                "tags": list(self.tags),
                "scope": self.scope,
            },
            "controls": [c.describe() for c in self.controls],
        }


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    version: str
    tag: str
    description: str
    url: str
    requirements: tuple[Requirement, ...]
    origin: str = "builtin"

    def requirement(self, req_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == req_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "description": self.description,
            "url": self.url,
            "origin": self.origin,
            "requirements": [r.to_dict() for r in self.requirements],
        }


def _loc(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _control(raw: Any, loc: str, errors: list[dict[str, str]]) -> Control | None:
    name, arg = (raw, None) if isinstance(raw, str) else next(iter(raw.items()))
    if name not in CONTROLS:
        errors.append({"loc": loc, "msg": f"unknown control {name!r}; known: {sorted(CONTROLS)}"})
        return None
    kind = CONTROLS[name]
    if kind == "name" and (not isinstance(arg, str) or not arg.strip()):
        errors.append({"loc": loc, "msg": f"control {name} needs a name, e.g. '{name}: purpose'"})
        return None
    if kind is None and arg is not None:
        errors.append({"loc": loc, "msg": f"control {name} takes no argument"})
        return None
    if kind == "options":
        arg = arg or {}
        share = arg.get("min_share", 0.2) if isinstance(arg, Mapping) else None
        bad = not isinstance(arg, Mapping) or set(arg) - {"min_share"}
        if bad or not isinstance(share, int | float) or not 0 <= share <= 1:
            errors.append({"loc": loc, "msg": f"{name} takes {{min_share: 0..1}} or nothing"})
            return None
        arg = {"min_share": float(share)}
    return Control(name, arg.strip() if isinstance(arg, str) else arg)


def framework_from_dict(data: Any, origin: str = "builtin") -> Framework:
    """Validate a framework given as plain data (a parsed YAML file or a JSON body)."""
    errors = [
        {"loc": _loc(err.absolute_path), "msg": err.message}
        for err in sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if errors:
        _fail(origin, errors)
    reqs: list[Requirement] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["requirements"]):
        loc = f"requirements[{i}]"
        if raw["id"] in seen:
            errors.append({"loc": f"{loc}.id", "msg": f"duplicate requirement id {raw['id']!r}"})
        seen.add(raw["id"])
        controls = [
            _control(c, f"{loc}.controls[{j}]", errors) for j, c in enumerate(raw["controls"])
        ]
        applies = raw["applies_to"]
        reqs.append(
            Requirement(
                id=raw["id"],
                title=raw["title"].strip(),
                reference=raw.get("reference", ""),
                description=(raw.get("description") or "").strip(),
                severity=raw["severity"],
                labels=tuple(applies.get("labels", ())),
                tags=tuple(t.lower() for t in applies.get("tags", ())),
                scope=applies.get("scope", "table"),
                controls=tuple(c for c in controls if c is not None),
            )
        )
    if errors:
        _fail(origin, errors)
    return Framework(
        id=data["id"],
        name=data["name"],
        version=str(data.get("version", "1")),
        tag=data.get("tag") or data["id"].replace("_", "-"),
        description=(data.get("description") or "").strip(),
        url=data.get("url", ""),
        requirements=tuple(reqs),
        origin=origin,
    )


def _fail(origin: str, errors: list[dict[str, str]]) -> None:
    summary = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5])
    raise ValidationFailedError(
        f"Invalid compliance framework ({origin}): {summary}", errors=errors, origin=origin
    )


def parse_yaml(text: str, origin: str) -> Any:
    """YAML text as data, or a ParseError naming the line."""
    return load_yaml(text, f"Framework {origin}", origin=origin)


def parse_framework(text: str, origin: str) -> Framework:
    return framework_from_dict(parse_yaml(text, origin), origin)


@cache
def builtin_frameworks() -> tuple[Framework, ...]:
    """GDPR, CCPA, HIPAA and PCI DSS, as shipped in the package."""
    folder = resources.files("sounding.features.compliance") / "frameworks"
    out = [
        parse_framework(f.read_text(encoding="utf-8"), "builtin")
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".yaml")
    ]
    return tuple(out)


def label_matches(label: str, families: tuple[str, ...]) -> bool:
    """``PII`` matches ``PII.Email``; ``PII.NationalId`` matches ``PII.NationalId.US_SSN``."""
    return any(label == f or label.startswith(f + ".") for f in families)
