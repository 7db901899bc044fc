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

from sounding.scanning.classification import classify_column

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
