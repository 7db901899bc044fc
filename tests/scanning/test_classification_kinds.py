"""Golden columns for the value-only kinds of issue 17 (tests/golden/classification_kinds.jsonl,
written by tools/make_classification_kinds.py): postal codes, street addresses, person names,
SWIFT/BIC look-alikes and e-mail addresses inside text. Column names are uninformative (``c3``)
unless the case is about a name such as ``Name``.

A positive column must get its label first; a negative column must not get the label of its
kind at all. Known misses are strict xfails with their reason, so a fix shows up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.errors import ValidationFailedError
from sounding.scanning.classification import classify_column, ruleset_from_dict
from sounding.scanning.classification.distribution import postal_codes
from sounding.scanning.classification.validators import person_name

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "classification_kinds.jsonl"
RECORDS = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line]
KIND_LABELS = {
    "postal": {"PII.PostalCode"},
    "address": {"PII.StreetAddress"},
    "name": {"PII.PersonName"},
    "bic": {"Finance.SwiftBic"},
    "email": {"PII.Email", "PII.EmailInText"},
}
MISSES: dict[str, str] = {
    "name#30": "sports teams: the city is also a surname (Dallas, Houston) and the nickname is "
    "in no word list, which a rare surname would not be either",
    "name#31": "companies named after their founders (Morgan Stanley) are person names in form",
}


def _params() -> list[Any]:
    return [
        pytest.param(r, id=r["id"], marks=pytest.mark.xfail(strict=True, reason=MISSES[r["id"]]))
        if r["id"] in MISSES
        else pytest.param(r, id=r["id"])
        for r in RECORDS
    ]


def test_every_kind_has_ten_cases_and_negatives() -> None:
    for kind in KIND_LABELS:
        cases = [r for r in RECORDS if r["kind"] == kind]
        assert len(cases) >= 10, kind
        assert any(r["expected"] is None for r in cases), kind


@pytest.mark.parametrize("record", _params())
def test_kind_column(record: dict[str, Any]) -> None:
    results = classify_column(record["column_name"], None, record["sample_values"])
    labels = [r.label for r in results]
    if record["expected"] is None:
        assert not set(labels) & KIND_LABELS[record["kind"]], labels
    else:
        assert labels and labels[0] == record["expected"], labels


# --- the mechanisms one by one ------------------------------------------------------------


def test_postal_check_needs_more_than_the_five_digit_shape() -> None:
    spread = ["10115", "23456", "34567", "45678", "56789", "67890", "78901", "89012", "90123"]
    assert postal_codes(spread) == (0, 0.0)  # uniform numbers: no evidence beyond the shape
    assert postal_codes([*spread, "01067"]) == (10, 0.8)  # a code written with its leading 0
    assert postal_codes([*spread[:5], "00001", "00002", "00003"]) == (0, 0.0)  # zero-padded
    plus4 = [f"{v}-{i + 1:04d}" for i, v in enumerate(spread)]
    assert postal_codes(plus4) == (9, 0.85)
    assert postal_codes([v[:5] + "-0000" for v in plus4]) == (0, 0.0)  # no +4 is all zeros
    assert postal_codes([str(40000 + i) for i in range(20)] + ["01067"]) == (0, 0.0)  # dense
    assert postal_codes(["01067", "10115", "80331"]) == (0, 0.0)  # too few values


def test_postal_column_check_is_skipped_for_key_columns() -> None:
    zips = ["01581", "02116", "19713", "33607", "48084", "60601", "72201", "85004", "90405"]
    assert classify_column("c7", None, zips)[0].label == "PII.PostalCode"
    assert classify_column("c7", None, zips)[0].evidence.source == "values"
    assert classify_column("territory_id", None, zips) == []  # references a territory


def test_unknown_column_check_is_a_validation_error() -> None:
    rule = {"id": "x", "label": "Custom.X", "values": ["\\d+"], "column_check": "nope"}
    with pytest.raises(ValidationFailedError) as caught:
        ruleset_from_dict({"version": 1, "name": "t", "rules": [rule]})
    assert caught.value.details["errors"][0]["loc"] == "rules[0].column_check"


def test_person_name_needs_a_word_that_is_only_a_name() -> None:
    assert person_name("Mark Brown") == 1.0  # frequent names that are also words
    assert person_name("Jan van der Berg") == 1.0  # particles are neutral
    assert person_name("Victoria Road") == 0.0  # a street word
    assert person_name("Hotel Victoria") == 0.0
    assert person_name("Bella Vista") == 0.0  # "vista" is an everyday word only
    assert person_name("Olivia") == 0.75
    assert person_name("Hans-Peter Müller") == 1.0  # a hyphenated word is a name by its parts
    assert person_name("Champs-Élysées") == 0.0


def test_a_list_of_bare_addresses_stays_an_email_column() -> None:
    lists = [f"a{i}@example.com; b{i}@example.org" for i in range(12)]
    labels = [r.label for r in classify_column("c1", None, lists)]
    assert "PII.EmailInText" not in labels


def test_email_named_column_of_headers_is_email_in_text() -> None:
    headers = [f"Person {chr(65 + i)} <p{i}@example.com>" for i in range(12)]
    results = classify_column("email", None, headers)
    assert results[0].label == "PII.EmailInText"
    assert results[0].rule == "builtin:email_in_text"
    assert "PII.Email" not in [r.label for r in results]
