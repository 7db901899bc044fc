"""Column classification: evidence, thresholds, sparse columns, types, free text, sample DBs."""

from __future__ import annotations

import json
import sqlite3

import pytest

from sounding.scanning.classification import classify_column, find_entities
from tests.conftest import CORPORA

VISA = "4012888888881881"  # Luhn-valid test card number
VALID_IBANS = [
    "DE89370400440532013000",
    "GB29 NWBK 6016 1331 9268 19",
    "FR1420041010050500013M02606",
]


def labels(name: str, values: list[object], data_type: str | None = None) -> list[str]:
    return [r.label for r in classify_column(name, data_type, values)]


def test_values_alone_label_an_uninformative_column_with_evidence() -> None:
    values = ["alice@example.com", "bob@example.org", "carol@mail.example.net", None]
    [result] = classify_column("c7", "VARCHAR(80)", values)
    assert result.label == "PII.Email"
    assert result.rule == "builtin:email"
    ev = result.evidence
    assert ev.source == "values" and ev.name_score == 0
    assert ev.validated_share == 1.0 and ev.sample_size == 3
    assert ev.non_null_values == 3 and ev.total_values == 4
    assert 0.5 < result.confidence <= 1


def test_name_and_values_together_are_more_confident_than_values_alone() -> None:
    values = ["+1 (415) 555-0132", "+44 20 7946 0958", "+49 30 901820"]
    named = classify_column("mobile_phone", None, values)[0]
    anonymous = classify_column("c1", None, values)[0]
    assert named.label == anonymous.label == "PII.Phone"
    assert named.confidence > anonymous.confidence
    assert named.evidence.source == "name+values" and named.evidence.name_score > 0.8


def test_sparse_column_is_judged_on_its_non_null_values() -> None:
    values: list[object] = [None] * 900 + ["alice@example.com", "bob@example.org"] * 50
    [result] = classify_column("c3", None, values)
    assert result.label == "PII.Email"
    assert result.evidence.validated_share == 1.0
    assert result.evidence.null_share == pytest.approx(0.9)


def test_blank_strings_count_as_null() -> None:
    assert labels("c1", ["", " ", None, "  "]) == []


@pytest.mark.parametrize(
    ("values", "forbidden"),
    [
        (["4012888888881882", "4012-8888-8888-1883", "5555555555554445"], "PCI.CardNumber"),
        (
            ["DE89370400440532013001", "GB29 NWBK 6016 1331 9268 18", "AL47 212A 1009"],
            "Finance.IBAN",
        ),
        (["078-05-1120", "000-12-3456", "666-45-1234", "912-34-5678"], "PII.NationalId.US_SSN"),
    ],
)
def test_checksum_invalid_values_do_not_get_the_label(values: list[str], forbidden: str) -> None:
    assert forbidden not in labels("c9", values)
    assert forbidden not in labels("card_or_iban", values)


def test_checksum_valid_values_do() -> None:
    assert labels("c9", [VISA, "4111111111111111", "5555555555554444"])[0] == "PCI.CardNumber"
    assert labels("c9", VALID_IBANS)[0] == "Finance.IBAN"


def test_a_minority_of_matching_values_is_not_enough() -> None:
    values = ["alice@example.com"] + [f"note {i}" for i in range(9)]
    assert "PII.Email" not in labels("c2", values)


def test_metadata_only_scan_uses_the_column_name() -> None:
    [result] = classify_column("customer_email", "TEXT", [])
    assert result.label == "PII.Email" and result.evidence.source == "name"
    assert labels("notes", []) == []


def test_key_columns_are_not_the_thing_they_reference() -> None:
    assert labels("address_id", [1, 2, 3, 4], "INTEGER") == []
    assert labels("customer_id", [], "INTEGER") == []


def test_excluded_names_rule_a_label_out() -> None:
    assert "PII.Email" not in labels("email_verified", ["true", "false"])
    assert "PII.PersonName" not in labels("color", ["Rose", "Violet", "Olive", "Amber"])
    assert "PII.StreetAddress" not in labels("ip_address", ["10.0.0.1", "10.0.0.2"])


def test_binary_and_boolean_columns_are_skipped() -> None:
    assert labels("email", [b"\x00\x01"], "BLOB") == []
    assert labels("is_admin", [True, False], "BOOLEAN") == []


def test_prices_and_counters_get_no_label() -> None:
    assert labels("UnitPrice", [0.99, 1.99, 2.5, 14.0, 9.8], "NUMERIC(10,2)") == []
    assert labels("Quantity", [1, 2, 3, 10, 25], "INTEGER") == []
    assert labels("c5", [str(i) for i in range(1000, 1300)]) == []


def test_weak_formats_need_a_telling_name() -> None:
    passports = ["A12803456", "Z12803456", "912803456", "C03005988"]
    assert "PII.Passport" not in labels("c1", passports)
    assert labels("passport_number", passports)[0] == "PII.Passport"
    digits = ["4155550132", "2125550199", "3105550143"]
    assert labels("c1", digits) == []
    assert labels("phone", digits)[0] == "PII.Phone"


def test_contradicting_values_keep_only_a_whole_name_match_at_low_confidence() -> None:
    [result] = classify_column("ssn", None, ["n/a", "unknown", "pending"])
    assert result.label == "PII.NationalId.US_SSN" and result.evidence.source == "name"
    assert result.confidence < 0.5
    assert labels("num_ssn_checks", ["1", "2", "3"]) == []


def test_free_text_column_reports_entities_inside_sentences() -> None:
    notes = [
        f"Customer called on day {i} and asked us to write to jane.doe{i}@example.com about it."
        for i in range(20)
    ] + ["Nothing special happened during this visit to the store today."] * 5
    results = classify_column("notes", "TEXT", notes)
    assert results[0].label == "PII.EmailInText"  # addresses inside sentences, not a column of them
    assert "PII.Email" not in [r.label for r in results]
    assert results[0].evidence.source == "text"
    assert results[0].evidence.validated_share == pytest.approx(20 / 21, abs=0.01)


def test_find_entities_returns_spans_with_offsets() -> None:
    text = "Mail john@x.com, card 4012 8888 8888 1881, IBAN DE89370400440532013000 today."
    spans = find_entities(text)
    assert [(s.label, text[s.start : s.end]) for s in spans] == [
        ("PII.Email", "john@x.com"),
        ("PCI.CardNumber", "4012 8888 8888 1881"),
        ("Finance.IBAN", "DE89370400440532013000"),
    ]


def test_find_entities_needs_context_for_weak_formats() -> None:
    assert find_entities("reference A12803456 attached") == []
    [span] = find_entities("my passport number is A12803456")
    assert span.label == "PII.Passport" and span.text == "A12803456"


def test_sample_cap_bounds_the_work_but_keeps_counts() -> None:
    values = [f"user{i}@example.com" for i in range(5000)]
    [result] = classify_column("c1", None, values, max_distinct=200)
    assert result.evidence.sample_size == 200
    assert result.evidence.distinct_values == 5000 and result.evidence.non_null_values == 5000


# --- the sample databases (labels assigned by the corpus helper: a sanity check) -----------

EXPECTED_SAMPLE_LABELS = {
    "PERSON_NAME": "PII.PersonName",
    "EMAIL_ADDRESS": "PII.Email",
    "PHONE_NUMBER": "PII.Phone",
    "STREET_ADDRESS": "PII.StreetAddress",
    "POSTAL_CODE": "PII.PostalCode",
    "CITY": "PII.City",
    "COUNTRY": "PII.Country",
    "DATE_OF_BIRTH": "PII.DateOfBirth",
}


def _sample_columns() -> list[dict[str, object]]:
    path = CORPORA / "sample_dbs" / "pii_columns_HELPER_ASSIGNED.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _column_values(db: str, table: str, column: str) -> tuple[list[object], str | None]:
    with sqlite3.connect(CORPORA / "sample_dbs" / f"{db}.sqlite") as conn:
        values = [r[0] for r in conn.execute(f'SELECT "{column}" FROM "{table}" LIMIT 1000')]
        types = {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{table}")')}
    return values, types.get(column)


@pytest.mark.parametrize("db", ["chinook", "northwind", "sakila"])
def test_sample_database_columns_get_sensible_labels(db: str) -> None:
    checked = 0
    for rec in _sample_columns():
        if rec["db"] != db:
            continue
        values, data_type = _column_values(db, str(rec["table"]), str(rec["column"]))
        found = labels(str(rec["column"]), values, data_type)
        helper = str(rec["label"] or "").split(" (")[0]
        where = f"{rec['table']}.{rec['column']}"
        if helper in EXPECTED_SAMPLE_LABELS and any(str(v).strip() for v in values):
            assert found[:1] == [EXPECTED_SAMPLE_LABELS[helper]], where
            checked += 1
        elif not helper:
            assert found == [], where
    assert checked >= 10
