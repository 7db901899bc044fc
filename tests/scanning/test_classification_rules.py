"""Rule sets: the built-in set, custom YAML sets, validation errors that name the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sounding.errors import ParseError, ValidationFailedError
from sounding.scanning.classification import (
    TAXONOMY,
    builtin_ruleset,
    classify_column,
    find_entities,
    load_ruleset,
    parse_ruleset,
    ruleset_from_dict,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "classification.md"

CUSTOM = """
version: 1
name: acme
description: ACME employee badges and project codes
rules:
  - id: badge
    label: Custom.EmployeeBadge
    names: ['\\bbadge\\b']
    values:
      - pattern: 'EMP-\\d{6}'
        strength: 0.9
    min_share: 0.8
    context: [badge]
  - id: project
    label: Custom.ProjectCode
    values:
      - dictionary: [apollo, gemini, mercury]
        strength: 0.7
    min_distinct: 2
"""


def test_builtin_rules_use_taxonomy_labels_only() -> None:
    rules = builtin_ruleset()
    assert rules.labels <= set(TAXONOMY)
    required = {
        "PII.Email", "PII.Phone", "PII.PersonName", "PII.StreetAddress", "PII.PostalCode",
        "PII.DateOfBirth", "PII.Age", "PII.Gender", "PII.NationalId.US_SSN",
        "PII.NationalId.UK_NINO", "PII.NationalId.ES_NIF", "PII.NationalId.IT_FISCAL_CODE",
        "PII.NationalId.IN_AADHAAR", "PII.NationalId.PL_PESEL", "PII.DriverLicense",
        "PII.Passport", "PII.Username", "Secret.Password", "Secret.Token", "PCI.CardNumber",
        "Finance.IBAN", "Finance.SwiftBic", "Network.IPv4", "Network.IPv6",
        "Network.MacAddress", "Network.URL", "Vehicle.VIN", "Geo.Coordinates",
    }  # fmt: skip
    assert required <= rules.labels


def test_every_label_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in TAXONOMY if f"`{name}`" not in text]
    assert missing == []


def test_custom_yaml_rule_set_labels_columns_and_text() -> None:
    custom = parse_ruleset(CUSTOM, source="acme.yaml")
    rules = builtin_ruleset().combine(custom)
    badges = [f"EMP-{i:06d}" for i in range(20)]
    [result] = classify_column("c1", None, badges, rules)
    assert result.label == "Custom.EmployeeBadge" and result.rule == "acme:badge"
    assert classify_column("c2", None, ["apollo", "gemini", "apollo"], rules)[0].label == (
        "Custom.ProjectCode"
    )
    [span] = find_entities("Lost badge EMP-123456 at the gate", rules)
    assert span.label == "Custom.EmployeeBadge"


def test_custom_rule_set_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    assert {r.id for r in load_ruleset(path).rules} == {"badge", "project"}


def test_custom_rules_may_use_builtin_validators_and_dictionaries() -> None:
    custom = ruleset_from_dict(
        {
            "version": 1,
            "name": "extra",
            "rules": [
                {
                    "id": "loyalty",
                    "label": "Custom.LoyaltyCard",
                    "names": ["loyalty"],
                    "values": [{"pattern": r"\d{16}", "validator": "card_number"}],
                },
                {
                    "id": "staff",
                    "label": "Custom.Staff",
                    "values": [{"pattern": r"\w+ \w+", "tokens": ["@person_names"]}],
                },
            ],
        }
    )
    assert [r.label for r in custom.rules] == ["Custom.LoyaltyCard", "Custom.Staff"]


def test_disable_switches_builtin_rules_off() -> None:
    quiet = ruleset_from_dict(
        {
            "version": 1,
            "name": "quiet",
            "disable": ["email"],
            "rules": [{"id": "noop", "label": "Custom.Noop", "names": ["^never$"]}],
        }
    )
    rules = builtin_ruleset().combine(quiet)
    assert classify_column("c1", None, ["a@example.com", "b@example.org"], rules) == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["rules"][0].pop("label"), "rules[0].label"),
        (lambda d: d["rules"][0].update(label="not a label!"), "rules[0].label"),
        (
            lambda d: d["rules"][0]["values"][0].update(pattern="EMP-(\\d"),
            "rules[0].values[0].pattern",
        ),
        (
            lambda d: d["rules"][0]["values"][0].update(validator="nope"),
            "rules[0].values[0].validator",
        ),
        (lambda d: d["rules"][0]["values"][0].update(strength=2), "rules[0].values[0].strength"),
        (lambda d: d["rules"][0].update(min_share="most"), "rules[0].min_share"),
        (lambda d: d["rules"][0].update(min_distinct=0), "rules[0].min_distinct"),
        (lambda d: d["rules"][0].update(data_types=["blob"]), "rules[0].data_types"),
        (lambda d: d["rules"][0].update(patern="x"), "rules[0].patern"),
        (lambda d: d["rules"][1].update(id="badge"), "rules[1].id"),
        (
            lambda d: d["rules"][1]["values"][0].update(dictionary="@no_such_list"),
            "rules[1].values[0].dictionary",
        ),
        (lambda d: d.update(rules=[]), "rules"),
    ],
)
def test_invalid_rule_set_names_the_field(
    mutate: Callable[[dict[str, Any]], object], field: str
) -> None:
    data = yaml.safe_load(CUSTOM)
    mutate(data)
    with pytest.raises(ValidationFailedError) as info:
        ruleset_from_dict(data, source="acme.yaml")
    locs = [e["loc"] for e in info.value.details["errors"]]
    assert field in locs
    assert str(info.value).startswith("Invalid rule set 'acme.yaml': ")


def test_first_error_is_in_the_message() -> None:
    with pytest.raises(ValidationFailedError, match=r"rules\[0\]\.values\[0\]\.pattern: invalid"):
        parse_ruleset(CUSTOM.replace("EMP-\\d{6}", "EMP-(\\d"), source="acme.yaml")


def test_broken_yaml_is_a_parse_error_with_a_line() -> None:
    with pytest.raises(ParseError, match="line") as info:
        parse_ruleset("version: 1\nrules: [\n  - id: x\n", source="bad.yaml")
    assert info.value.details["line"] >= 2


def test_a_rule_needs_some_evidence() -> None:
    with pytest.raises(ValidationFailedError, match=r"needs 'names' or 'values'"):
        ruleset_from_dict({"version": 1, "name": "x", "rules": [{"id": "a", "label": "X.Y"}]})
