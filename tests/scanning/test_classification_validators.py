"""Validators: checksums and structural rules, valid and invalid examples."""

from __future__ import annotations

import pytest

from sounding.scanning.classification.validators import VALIDATORS


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        ("card_number", "4012 8888 8888 1881", "4012 8888 8888 1882"),
        ("card_number", "371449635398431", "0000000000000000"),
        ("iban", "GB29 NWBK 6016 1331 9268 19", "GB29 NWBK 6016 1331 9268 18"),
        ("iban", "BE68539007547034", "LV80 bANK 0000 4351 9500 1"),
        ("aba_routing", "121000358", "421042111"),
        ("us_ssn", "078-05-1123", "078-05-1120"),
        ("us_ssn", "123-45-6780", "666-12-3456"),
        ("us_itin", "911-70-1234", "911-89-1234"),
        ("uk_nhs", "401-023-2137", "401-023-2138"),
        ("es_dni", "55555555K", "55555555A"),
        ("es_nie", "X9613851N", "X9613851Q"),
        ("pl_pesel", "44051401458", "44051401459"),
        ("fi_hetu", "010594Y9032", "010594Y9033"),
        ("fi_hetu", "131052-308T", "311190-1111"),
        ("se_personnummer", "198712202384", "200504422381"),
        ("kr_rrn", "960121-1021413", "001332-1234567"),
        ("sg_nric", "S2740116C", "S2740116D"),
        ("au_tfn", "876 543 210", "824 753 557"),
        ("ca_sin", "130 692 544", "130 692 545"),
        ("za_id", "8001015009087", "8001015009086"),
        ("tr_tckn", "10000000146", "12345678900"),
        ("th_tnin", "1234567890121", "1994567890124"),
        ("ng_nin", "12345678902", "12345678901"),
        ("in_aadhaar", "3123 4567 8909", "1234 5678 9012"),
        ("de_tax_id", "98765432106", "11112345678"),
        ("de_social_security", "15070649C103", "15070649C100"),
        ("de_health_insurance", "A123456780", "A123456787"),
        ("de_lanr", "123456601", "123456901"),
        ("de_id_document", "L01X00T44", "L01X00T47"),
        ("us_npi", "1234567893", "0234567893"),
        ("us_dea", "BB1388568", "BB1388569"),
        ("uk_driving_licence", "MORGA657054SM9IJ", "MORGA613054SM9IJ"),
        (
            "bitcoin_address",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2",
        ),
        ("ipv4", "192.168.0.1", "300.168.1.1"),
        ("ipv6", "2001:db8::8a2e:370:7334", "2001::db8::1"),
        ("mac_address", "00:1A:2B:3C:4D:5E", "FF:FF:FF:FF:FF:FF"),
        ("url", "https://www.microsoft.com/", "http://microsoft"),
        ("email", "user@xn--80ak6aa92e.com", "info@presidio"),
        ("vin", "1HGCM82633A004352", "1HGCM82633A00435"),
        ("birth_date", "1962-02-18 00:00:00", "2150-01-01"),
        ("age", "65+", "300"),
    ],
)
def test_validator_accepts_good_and_rejects_bad(validator: str, good: str, bad: str) -> None:
    check = VALIDATORS[validator]
    assert check(good) > 0
    assert check(bad) == 0


def test_phone_grades_by_format() -> None:
    phone = VALIDATORS["phone"]
    intl, nanp, grouped, bare = (
        phone("+44 20 7946 0958"),
        phone("(415) 555-0132"),
        phone("030-0074321"),
        phone("4155550132"),
    )
    assert intl > nanp > grouped > bare > 0
    assert phone("2021-05-21") == 0 and phone("192.168.0.1") == 0 and phone("74.0.3729.131") == 0


def test_graded_validators_score_structure_below_checksum() -> None:
    cf = VALIDATORS["it_fiscal_code"]
    assert cf("AAAAAA00B11C333Y") == 1.0
    assert 0 < cf("AAAAAA00B11C333N") < 1.0
    assert VALIDATORS["us_ssn"]("078-05-1123") > VALIDATORS["us_ssn"]("078051123") > 0
