"""Parameter forms: fields typed from a JSON Schema or inferred from defaults, and the typed
values read back from what a form sends."""

from __future__ import annotations

import pytest

from sounding.orchestration.param_forms import (
    coerce,
    inferred_field,
    read_form,
    schema_fields,
)
from sounding.orchestration.templating import builtin_templates


def test_inferred_kinds_and_shown_values() -> None:
    cases = {
        "flag": (True, "boolean", "true"),
        "size": (10, "integer", "10"),
        "ratio": (0.5, "number", "0.5"),
        "tags": (["a", "b"], "list", "a, b"),
        "opts": ({"k": 1}, "json", '{"k": 1}'),
        "label": ("x", "string", "x"),
        "nothing": (None, "string", ""),
    }
    for name, (default, kind, shown) in cases.items():
        field = inferred_field(name, default)
        assert (field.kind, field.value) == (kind, shown), name


def test_values_read_back_typed_and_problems_named() -> None:
    fields = tuple(
        inferred_field(n, d)
        for n, d in {"size": 1, "ratio": 1.0, "flag": False, "tags": []}.items()
    )
    values, errors = read_form(
        fields, {"p.size": " 12 ", "p.ratio": "x", "p.flag": "yes", "p.tags": '["a", 2]'}
    )
    assert values == {"size": 12, "flag": True, "tags": ["a", 2]}
    assert errors == {"ratio": "a number is needed"}
    values, errors = read_form(fields, {"p.size": "", "p.tags": "a,, b\nc"})
    assert values == {"tags": ["a", "b", "c"]} and errors == {}  # empty: the default applies


def test_template_schema_fields() -> None:
    discovery = builtin_templates()["data-discovery"]
    fields = {f.name: f for f in schema_fields(discovery.parameters)}
    assert next(iter(fields)) == "source" and fields["source"].required
    assert fields["profile"].kind == "boolean" and fields["profile"].value == "true"
    assert fields["per_source"].kind == "integer" and fields["per_source"].minimum == 1
    assert fields["schedule"].nullable and fields["schedule"].value == ""
    # a default naming another parameter is a hint, never a literal value sent back
    assert fields["name"].value == "" and fields["name"].hint == "default: discovery-${source}"
    with pytest.raises(ValueError, match="at least 1"):
        coerce(fields["per_source"], "0")


def test_mixed_types_read_as_the_first_that_fits() -> None:
    custom = builtin_templates()["custom"]
    fields = {f.name: f for f in schema_fields(custom.parameters)}
    tasks, timeout = fields["tasks"], fields["timeout"]
    assert tasks.kind == "mixed" and "integer" in tasks.types and "array" in tasks.types
    assert coerce(tasks, "5") == 5
    assert coerce(tasks, "a, b") == ["a", "b"]
    assert coerce(tasks, '["x"]') == ["x"]
    assert coerce(timeout, "30") == 30
    assert coerce(timeout, "5m") == "5m"
