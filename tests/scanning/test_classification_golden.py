"""Golden tests from other projects' classification test data (corpora/pii, README §3).

Peer labels are mapped to ours with ``bench/classification_label_map.yaml``, the same table the
benchmark uses. Known misses are listed below as strict xfails, each with its reason; a fix
makes the xfail pass and fails the test, so the list stays honest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sounding.scanning.classification import classify_column, find_entities, match_value
from tests.conftest import CORPORA

PII = CORPORA / "pii"
LABEL_MAP = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "bench" / "classification_label_map.yaml").read_text()
)


def _jsonl(name: str) -> list[dict[str, Any]]:
    path = PII / name
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _mapped(vocab: str, peer: str | None) -> tuple[list[str], bool] | None:
    """(our labels, needs_name) for a peer label; None if we do not support it."""
    entry = LABEL_MAP[vocab].get(peer)
    if entry is None:
        return None
    return list(entry["labels"]), bool(entry.get("needs_name"))


def _cases(records: list[dict[str, Any]], misses: dict[str, str]) -> list[Any]:
    return [
        pytest.param(r, id=r["id"], marks=pytest.mark.xfail(strict=True, reason=misses[r["id"]]))
        if r["id"] in misses
        else pytest.param(r, id=r["id"])
        for r in records
    ]


# --- column level ---------------------------------------------------------------------

COLUMN_MISSES = {
    "presidio-cols#133": "4 of its 9 German ID-card values are old-format serials without "
    "the ICAO check digit (presidio: 'no opinion'); 5/9 validated is below the 60% share",
    "presidio-cols#163": "one of its two IT VAT values has an underscore ('01333550_323')",
    "presidio-cols#179": "4 of its 9 NRIC/FIN values carry wrong check letters",
}

_columns = _jsonl("presidio_value_columns_recognizers.jsonl")
POSITIVE_COLUMNS = [
    r
    for r in _columns
    if r["expected_label"]
    and (m := _mapped("presidio", r["expected_label"])) is not None
    and not m[1]  # formats without a check digit need a telling column name
]
HARD_NEGATIVES = [
    r
    for r in _columns
    if r.get("hard_negative_for") and _mapped("presidio", r["hard_negative_for"]) is not None
]


@pytest.mark.parametrize("record", _cases(POSITIVE_COLUMNS, COLUMN_MISSES))
def test_value_column_gets_the_peer_label(record: dict[str, Any]) -> None:
    expected, _ = _mapped("presidio", record["expected_label"]) or ([], False)
    results = classify_column(record["column_name"], None, record["sample_values"])
    assert results, "no label"
    assert results[0].label in expected


@pytest.mark.parametrize("record", _cases(HARD_NEGATIVES, {}))
def test_hard_negative_column_does_not_get_the_label(record: dict[str, Any]) -> None:
    forbidden, _ = _mapped("presidio", record["hard_negative_for"]) or ([], False)
    labels = {
        r.label for r in classify_column(record["column_name"], None, record["sample_values"])
    }
    assert not labels & set(forbidden)


# --- validators -----------------------------------------------------------------------

VALIDATOR_MISSES = {
    **{
        f"presidio:test_in_gstin_recognizer::test_validate_pan_format#{i}": "tests presidio's "
        "internal PAN-part helper with a bare 10-character PAN, which is not a GSTIN"
        for i in (124, 125, 126, 131)
    },
    "presidio:test_in_gstin_recognizer::test_validate_result#119": "state code 38 (Ladakh, "
    "since 2019) is valid for us; presidio stops at 37",
}
VALIDATOR_CASES = [
    r
    for r in _jsonl("presidio_validator_cases.jsonl")
    if r["expected_validate_result"] is not None and _mapped("presidio", r["entity_type"])
]


@pytest.mark.parametrize("record", _cases(VALIDATOR_CASES, VALIDATOR_MISSES))
def test_validator_agrees_with_checksum_expectation(record: dict[str, Any]) -> None:
    expected, _ = _mapped("presidio", record["entity_type"]) or ([], False)
    valid = any(m.label in expected and m.score >= 0.5 for m in match_value(record["value"]))
    assert valid is record["expected_validate_result"]


# --- free text --------------------------------------------------------------------------

TEXT_TYPES = {
    "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL", "US_SSN", "UK_NINO",
    "ES_NIF", "IT_FISCAL_CODE", "IN_AADHAAR", "PL_PESEL", "MAC_ADDRESS", "CRYPTO", "UK_NHS",
}  # fmt: skip
TEXT_MISSES = {
    **{
        f"presidio:test_in_aadhaar_recognizer::{test}#{i}": "colon-separated Aadhaar groups "
        "are not a format we accept"
        for test, i in (
            ("test_when_aadhaar_in_text_then_all_aadhaars_found", n) for n in (738, 739)
        )
    },
    "presidio:test_ip_recognizer::test_when_ipv6_in_context_then_succeed#810": "an address "
    "glued to 'user@' is not split off",
    "presidio:test_ip_recognizer::test_when_ip_at_boundary_then_correct_span#861": "we do not "
    "cut a valid IPv4 out of the longer dotted run '192.168.1.1.1'",
    "presidio:test_ip_recognizer::test_when_invalid_ip_then_no_match#870": "an address glued "
    "to '@eth0' is not split off",
    "presidio:test_ip_recognizer::test_when_invalid_ip_then_no_match#871": "an IPv4 glued to "
    "a preceding '::ffff:' run is not split off",
    "presidio:test_ip_recognizer::test_when_invalid_ip_then_no_match#872": "an IPv4 glued to "
    "a preceding IPv6 run is not split off",
    "presidio:test_url_recognizer::test_when_all_urls_then_succeed#1411": "a bare domain "
    "without a context word is not reported as a URL",
    "presidio:test_us_ssn_recognizer::test_when_snn_in_text_than_all_us_ssns_are_found"
    "#1470": "nine bare digits are an SSN only with a context word",
}
TEXT_CASES = [
    r for r in _jsonl("presidio_recognizer_text_cases.jsonl") if r["entity_type"] in TEXT_TYPES
]


@pytest.mark.parametrize("record", _cases(TEXT_CASES, TEXT_MISSES))
def test_text_entities_found_or_absent(record: dict[str, Any]) -> None:
    expected, _ = _mapped("presidio", record["entity_type"]) or ([], False)
    found = [s for s in find_entities(record["text"]) if s.label in expected]
    if record["expected_count"] == 0:
        assert found == []
        return
    for span in record["expected_spans"] or []:
        assert any(f.start < span["end"] and span["start"] < f.end for f in found), span


# --- piicatcher ---------------------------------------------------------------------------

PIICATCHER_NAME_MISSES: dict[str, str] = {}


@pytest.mark.parametrize(
    "record", _cases(_jsonl("piicatcher_column_names.jsonl"), PIICATCHER_NAME_MISSES)
)
def test_piicatcher_column_name_alone(record: dict[str, Any]) -> None:
    expected, _ = _mapped("piicatcher", record["expected_label"]) or ([], False)
    results = classify_column(record["column_name"], None, [])
    assert results and results[0].label in expected


PIICATCHER_VALUES = [r for r in _jsonl("piicatcher_values.jsonl") if not r["skipped_upstream"]]


@pytest.mark.parametrize("record", _cases(PIICATCHER_VALUES, {}))
def test_piicatcher_value_matches_the_label(record: dict[str, Any]) -> None:
    expected, _ = _mapped("piicatcher", record["expected_label"]) or ([], False)
    labels = {m.label for m in match_value(record["value"])}
    labels |= {s.label for s in find_entities(record["value"])}
    assert labels & set(expected)


PIICATCHER_TABLES = [r for r in _jsonl("piicatcher_tables.jsonl") if r["label_asserted_upstream"]]


@pytest.mark.parametrize("record", _cases(PIICATCHER_TABLES, {}))
def test_piicatcher_table_column(record: dict[str, Any]) -> None:
    results = classify_column(record["column_name"], None, record["sample_values"])
    if record["expected_label"] is None:
        assert results == []
        return
    expected, _ = _mapped("piicatcher", record["expected_label"]) or ([], False)
    assert results and results[0].label in expected


def test_corpus_files_are_present() -> None:
    """The golden tests above must not pass by finding no cases."""
    assert len(POSITIVE_COLUMNS) > 50
    assert len(HARD_NEGATIVES) > 60
    assert len(VALIDATOR_CASES) > 100
    assert len(TEXT_CASES) > 500
