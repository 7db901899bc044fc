"""Validators for identifiers of Asia-Pacific, African and Canadian people and companies.

Scores as in :mod:`.validators`: 0 invalid, 1 fully valid, in between for a valid format whose
check digit is optional (Korean numbers issued since October 2020, GSTIN check characters).
"""

from __future__ import annotations

import re

from stdnum.ca import sin as _ca_sin
from stdnum.in_ import aadhaar as _in_aadhaar
from stdnum.in_ import gstin as _in_gstin

from sounding.domain.checksums import (
    all_same,
    digits_only,
    luhn_ok,
    two_digit_year_date,
    verhoeff_ok,
    weighted_sum,
)

# --- Asia-Pacific, Africa, Americas ------------------------------------------------------

_RRN = re.compile(r"(\d{6})-?(\d)(\d{6})")
_RRN_CENTURY = {"1": 1900, "2": 1900, "3": 2000, "4": 2000}
_FRN_CENTURY = {"5": 1900, "6": 1900, "7": 2000, "8": 2000}
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def _korean_id(value: str, centuries: dict[str, int]) -> float:
    m = _RRN.fullmatch(value)
    if not m or m.group(2) not in centuries:
        return 0.0
    if not two_digit_year_date(m.group(1), centuries[m.group(2)]):
        return 0.0
    d = m.group(1) + m.group(2) + m.group(3)
    if int(d[7:9]) > 95:
        return 0.0
    check = (11 - weighted_sum(d, _RRN_WEIGHTS) % 11) % 10
    return 1.0 if check == int(d[12]) else 0.7  # numbers issued since Oct 2020 have no check


def kr_rrn(value: str) -> float:
    """Korean resident registration number (gender/century digit 1-4)."""
    return _korean_id(value, _RRN_CENTURY)


def kr_frn(value: str) -> float:
    """Korean foreigner registration number (gender/century digit 5-8)."""
    return _korean_id(value, _FRN_CENTURY)


def kr_brn(value: str) -> float:
    """Korean business registration number: 10 digits, weighted check digit."""
    d = digits_only(value)
    if len(d) != 10 or not d.isdigit() or all_same(d):
        return 0.0
    total = weighted_sum(d[:9], (1, 3, 7, 1, 3, 7, 1, 3, 5)) + (int(d[8]) * 5) // 10
    return 1.0 if (10 - total % 10) % 10 == int(d[9]) else 0.0


_NRIC_TABLES = {
    "S": (0, "JZIHGFEDCBA"),
    "T": (4, "JZIHGFEDCBA"),
    "F": (0, "XWUTRQPNMLK"),
    "G": (4, "XWUTRQPNMLK"),
    "M": (3, "XWUTRQPNJLK"),
}


def sg_nric(value: str) -> float:
    """Singapore NRIC/FIN: S/T/F/G/M, 7 digits and a weighted check letter."""
    v = value.upper()
    if not re.fullmatch(r"[STFGM]\d{7}[A-Z]", v):
        return 0.0
    offset, letters = _NRIC_TABLES[v[0]]
    total = weighted_sum(v[1:8], (2, 7, 6, 5, 4, 3, 2)) + offset
    return 1.0 if letters[total % 11] == v[8] else 0.0


def au_medicare(value: str) -> float:
    """Australian Medicare card number: first digit 2-6, weighted check digit in position 9."""
    d = digits_only(value)
    if len(d) not in (10, 11) or not d.isdigit() or d[0] not in "23456":
        return 0.0
    check = weighted_sum(d[:8], (1, 3, 7, 9, 1, 3, 7, 9)) % 10
    return 1.0 if check == int(d[8]) else 0.0


def th_tnin(value: str) -> float:
    """Thai national ID: 13 digits, type 1-8, province code 10-96, mod-11 check digit."""
    d = digits_only(value)
    if len(d) != 13 or not d.isdigit() or d[0] in "09" or not 10 <= int(d[1:3]) <= 96:
        return 0.0
    check = (11 - weighted_sum(d[:12], tuple(range(13, 1, -1))) % 11) % 10
    return 1.0 if check == int(d[12]) else 0.0


def ng_nin(value: str) -> float:
    """Nigerian national identification number: 11 digits, Verhoeff check digit."""
    d = digits_only(value)
    ok = len(d) == 11 and d.isdigit() and not all_same(d) and verhoeff_ok(d)
    return 1.0 if ok else 0.0


def in_aadhaar(value: str) -> float:
    """Indian Aadhaar: 12 digits, not starting with 0/1, Verhoeff check, not a palindrome."""
    d = digits_only(value)
    return 1.0 if len(d) == 12 and _in_aadhaar.is_valid(d) else 0.0


_PAN = re.compile(r"[A-Z]{3}([A-Z])[A-Z]\d{4}[A-Z]")


def in_pan(value: str) -> float:
    """Indian PAN: 5 letters, 4 digits, letter; a known holder-type letter (4th) scores 1."""
    m = _PAN.fullmatch(value.upper())
    if not m:
        return 0.0
    return 1.0 if m.group(1) in "ABCFGHJLPT" else 0.7


_GSTIN = re.compile(r"(\d{2})[A-Z]{3}[A-Z][A-Z]\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]")


def in_gstin(value: str) -> float:
    """Indian GSTIN: state code 01-38 or 97, embedded PAN, ``Z``, check character (raises score)."""
    v = value.upper()
    m = _GSTIN.fullmatch(v)
    if not m or not (1 <= int(m.group(1)) <= 38 or m.group(1) == "97"):
        return 0.0
    return 1.0 if _in_gstin.is_valid(v) else 0.7


def za_id(value: str) -> float:
    """South African ID: birth date, citizenship 0-2, Luhn check digit."""
    d = digits_only(value)
    if len(d) != 13 or not d.isdigit() or d[10] not in "012":
        return 0.0
    if not two_digit_year_date(d[:6]):
        return 0.0
    return 1.0 if luhn_ok(d) else 0.0


def ca_sin(value: str) -> float:
    """Canadian SIN: 9 digits, Luhn, not starting with 0 or 8."""
    d = digits_only(value)
    return 1.0 if len(d) == 9 and _ca_sin.is_valid(d) else 0.0
