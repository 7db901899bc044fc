"""Workflow templates: workflow documents with parameter placeholders and a JSON Schema.

A template is a YAML file (the built-ins are in ``templates/`` beside this module)::

    name: data-discovery
    category: data_discovery
    title: Data discovery
    description: ...
    parameters: {type: object, properties: {...}, required: [...]}   # JSON Schema
    workflow: {name: "${name}", steps: [...]}                          # a workflow document

:func:`instantiate` validates the parameters against the schema (every problem at once, as a
``ValidationFailedError`` with ``loc`` = ``params.<path>``), fills the top-level ``default`` of
each property (a string default may name other parameters: ``"discovery-${source}"``) and
renders the document:

* a string that is exactly ``"${p}"`` becomes the value of ``p`` with its JSON type; inside a
  longer string ``${p}`` is replaced by its text;
* a mapping entry whose value renders to ``null`` is dropped (an optional schedule, limit);
* a list item that is a mapping with ``$if: p`` is kept only when ``p`` is truthy (the key
  itself is removed).

The result is a plain workflow document; the services validate and store it like any other.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema

from sounding.domain.documents import load_yaml
from sounding.errors import NotFoundError, ValidationFailedError

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TEMPLATE_FIELDS = ("name", "category", "title", "description", "parameters", "workflow")


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    category: str
    title: str
    description: str
    parameters: Mapping[str, Any]  # a JSON Schema for an object
    workflow: Mapping[str, Any]

    def defaults(self) -> dict[str, Any]:
        props = self.parameters.get("properties") or {}
        return {k: copy.deepcopy(v["default"]) for k, v in props.items() if "default" in v}


def load_template(text: str, origin: str = "<template>") -> Template:
    """Parse and check a template: its fields, its schema, and that every placeholder names a
    declared parameter."""
    raw = load_yaml(text, f"Template {origin}", origin=origin)
    errors: list[dict[str, str]] = []
    if not isinstance(raw, Mapping):
        raise ValidationFailedError(f"Template {origin} must be a mapping", origin=origin)
    for key in TEMPLATE_FIELDS:
        if key not in raw:
            errors.append({"loc": key, "msg": "missing"})
    errors += [{"loc": str(k), "msg": "unknown field"} for k in raw if k not in TEMPLATE_FIELDS]
    schema = raw.get("parameters")
    if isinstance(schema, Mapping):
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            errors.append({"loc": "parameters", "msg": exc.message})
        declared = set((schema.get("properties") or {}).keys())
        for name in sorted(_placeholders(raw.get("workflow")) - declared):
            errors.append({"loc": "workflow", "msg": f"placeholder ${{{name}}} is not a parameter"})
    if errors:
        raise ValidationFailedError(
            f"Invalid template {origin}: {errors[0]['loc']}: {errors[0]['msg']}", errors=errors
        )
    return Template(**{k: raw[k] for k in TEMPLATE_FIELDS})


def builtin_templates() -> dict[str, Template]:
    """The templates shipped in ``sounding/orchestration/templates``, by name."""
    folder = resources.files("sounding.orchestration").joinpath("templates")
    found: dict[str, Template] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            template = load_template(entry.read_text(encoding="utf-8"), entry.name)
            found[template.name] = template
    return found


def get_template(templates: Mapping[str, Template], name: str) -> Template:
    try:
        return templates[name]
    except KeyError:
        raise NotFoundError(
            f"Template '{name}' not found; known: {', '.join(sorted(templates))}", template=name
        ) from None


def resolve_params(template: Template, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``params`` against the template's schema and fill the defaults."""
    validator = jsonschema.Draft202012Validator(template.parameters)
    problems = sorted(validator.iter_errors(dict(params)), key=lambda e: list(e.absolute_path))
    if problems:
        errors = [
            {"loc": ".".join(["params", *(str(p) for p in e.absolute_path)]), "msg": e.message}
            for e in problems
        ]
        raise ValidationFailedError(
            f"Invalid parameters for template '{template.name}': "
            f"{errors[0]['loc']}: {errors[0]['msg']}",
            errors=errors,
        )
    given = dict(params)
    filled = {**template.defaults(), **given}
    for key, value in list(filled.items()):
        if key not in given and isinstance(value, str):
            filled[key] = PLACEHOLDER.sub(lambda m: _text(filled.get(m.group(1))), value)
    return filled


def instantiate(template: Template, params: Mapping[str, Any]) -> dict[str, Any]:
    """The workflow document for ``params`` (validated, defaults filled)."""
    values = resolve_params(template, params)
    rendered = _render(template.workflow, values)
    assert isinstance(rendered, dict)
    return rendered


def _render(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node)
        if whole:
            return copy.deepcopy(values.get(whole.group(1)))
        return PLACEHOLDER.sub(lambda m: _text(values.get(m.group(1))), node)
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            rendered = _render(value, values)
            if rendered is not None:
                out[key] = rendered
        return out
    if isinstance(node, list):
        items = []
        for item in node:
            if isinstance(item, Mapping) and "$if" in item:
                if not values.get(str(item["$if"])):
                    continue
                item = {k: v for k, v in item.items() if k != "$if"}
            items.append(_render(item, values))
        return items
    return node


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _placeholders(node: Any) -> set[str]:
    if isinstance(node, str):
        return set(PLACEHOLDER.findall(node))
    if isinstance(node, Mapping):
        found = set()
        for key, value in node.items():
            if key == "$if":
                found.add(str(value))
            else:
                found |= _placeholders(value)
        return found
    if isinstance(node, list):
        return set().union(*(_placeholders(v) for v in node)) if node else set()
    return set()
