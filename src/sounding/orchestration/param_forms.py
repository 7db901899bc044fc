"""Parameter forms: fields from a JSON Schema or from default values, and the typed values
back from what a form sends.

A template's parameters are a JSON Schema (``templating.py``); a workflow's run parameters are
its ``params`` defaults, whose types are inferred (bool, int, float, list, mapping, string).
Either way each parameter becomes a :class:`ParamField`: its ``kind`` picks the input (a
checkbox-free true/false choice for booleans, so "false" is said, not implied), and
:func:`coerce` reads the text back: whole numbers, numbers, true/false, lists (comma-separated
or a JSON array), JSON objects, or text. An empty field is left out, so the default applies.
Pure functions, no I/O.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sounding.domain.workflow_pages import ParamField

logger = logging.getLogger(__name__)

TRUE = frozenset({"true", "yes", "on", "1"})
FALSE = frozenset({"false", "no", "off", "0"})
MAX_TEXT = 10_000  # characters in one field


def _types(prop: Mapping[str, Any]) -> list[str]:
    kind = prop.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [str(k) for k in kind]
    found: list[str] = []
    for branch in list(prop.get("oneOf") or []) + list(prop.get("anyOf") or []):
        if isinstance(branch, Mapping):
            found += [t for t in _types(branch) if t not in found]
    return found


def text_of(value: Any) -> str:
    """How a value shows in a field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _kind(types: list[str]) -> str:
    solid = [t for t in types if t != "null"]
    if len(solid) == 1:
        return {
            "boolean": "boolean",
            "integer": "integer",
            "number": "number",
            "array": "list",
            "object": "json",
        }.get(solid[0], "string")
    return "string" if not solid else "mixed"


def schema_field(
    name: str, prop: Mapping[str, Any], *, required: bool, value: Any = None, has_value: bool
) -> ParamField:
    """The field of one schema property; ``value`` (when ``has_value``) overrides its default.
    A default naming other parameters (``"discovery-${source}"``) shows as a hint, not a value."""
    types = _types(prop)
    shown = value if has_value else prop.get("default")
    hint = ""
    if isinstance(shown, str) and "${" in shown:
        hint, shown = f"default: {shown}", None
    kind = "choice" if isinstance(prop.get("enum"), list) else _kind(types)
    choices = tuple(text_of(c) for c in prop.get("enum") or ())
    accepts = ", ".join(t for t in types if t != "null")
    return ParamField(
        name=name,
        kind=kind,
        value=text_of(shown),
        required=required,
        nullable="null" in types,
        description=str(prop.get("description") or "")
        + (f" ({accepts})" if kind == "mixed" else ""),
        choices=choices,
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        hint=hint,
        types=tuple(types),
    )


def schema_fields(
    schema: Mapping[str, Any], values: Mapping[str, Any] | None = None
) -> tuple[ParamField, ...]:
    """Every property of an object schema, required ones first, each in schema order."""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    given = values or {}
    fields = [
        schema_field(n, p, required=n in required, value=given.get(n), has_value=n in given)
        for n, p in props.items()
        if isinstance(p, Mapping)
    ]
    return tuple(sorted(fields, key=lambda f: not f.required))


def inferred_field(name: str, default: Any, description: str = "") -> ParamField:
    """A run parameter's field, its type inferred from its default."""
    types: tuple[str, ...]
    if isinstance(default, bool):
        kind, types = "boolean", ("boolean",)
    elif isinstance(default, int):
        kind, types = "integer", ("integer",)
    elif isinstance(default, float):
        kind, types = "number", ("number",)
    elif isinstance(default, list):
        kind, types = "list", ("array",)
    elif isinstance(default, dict):
        kind, types = "json", ("object",)
    else:
        kind, types = "string", ("string", "null") if default is None else ("string",)
    return ParamField(
        name=name,
        kind=kind,
        value=text_of(default),
        nullable=default is None,
        description=description,
        types=types,
    )


def _number(text: str, whole: bool) -> int | float:
    try:
        return int(text) if whole else float(text)
    except ValueError:
        raise ValueError("a whole number is needed" if whole else "a number is needed") from None


def _list(text: str) -> list[Any]:
    if text.startswith("["):
        value = json.loads(text)
        if not isinstance(value, list):
            raise ValueError("a list is needed")
        return value
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None


def _boolean(text: str) -> bool:
    low = text.lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError("choose true or false")


def _mixed(text: str, types: tuple[str, ...]) -> Any:
    """The first type the text reads as, in the order number, true/false, JSON, text, list."""
    for kind, read in (
        ("integer", lambda t: _number(t, True)),
        ("number", lambda t: _number(t, False)),
        ("boolean", _boolean),
    ):
        if kind in types:
            try:
                return read(text)
            except ValueError:
                pass
    if text[:1] in "[{" and ("array" in types or "object" in types):
        return _json(text)
    if "string" in types:
        return text
    if "array" in types:
        return _list(text)
    raise ValueError(f"expected one of: {', '.join(t for t in types if t != 'null')}")


def coerce(field: ParamField, text: str) -> Any:
    """The typed value of ``text`` for ``field``; ``ValueError`` says what is wrong."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    text = text.strip()
    if field.kind == "boolean":
        return _boolean(text)
    if field.kind in ("integer", "number"):
        value = _number(text, field.kind == "integer")
        if field.minimum is not None and value < field.minimum:
            raise ValueError(f"at least {field.minimum:g}")
        if field.maximum is not None and value > field.maximum:
            raise ValueError(f"at most {field.maximum:g}")
        return value
    if field.kind == "list":
        return _list(text)
    if field.kind == "json":
        return _json(text)
    if field.kind == "mixed":
        return _mixed(text, field.types)
    return text


def read_form(
    fields: tuple[ParamField, ...], form: Mapping[str, str], prefix: str = "p."
) -> tuple[dict[str, Any], dict[str, str]]:
    """The values the form sets (an empty field is left out) and the problems by field."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        text = form.get(prefix + field.name)
        if text is None or not text.strip():
            if field.required:
                errors[field.name] = "required"
            continue
        try:
            values[field.name] = coerce(field, text)
        except ValueError as exc:
            errors[field.name] = str(exc)
    return values, errors


def with_values(fields: tuple[ParamField, ...], form: Mapping[str, str]) -> tuple[ParamField, ...]:
    """The fields showing what the form sent (a form shown again with its errors)."""
    return tuple(
        replace(f, value=form[f"p.{f.name}"]) if f"p.{f.name}" in form else f for f in fields
    )
