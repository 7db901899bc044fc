"""Validators for national, tax, health and document identifiers (US and Europe here; the
rest of the world in :mod:`.national_ids_world`; all registered below).

Each returns a score in ``[0, 1]`` (see :mod:`.validators`). Where a public algorithm exists
it is checked (python-stdnum where it implements the current rules, our own code where it does
not, e.g. the 2023 Finnish century signs or post-2020 Korean RRNs without a check digit).
Identifiers whose format is valid but whose check digit is optional or unknown score lower
than fully validated ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import luhn as _luhn
from stdnum.au import abn as _au_abn
from stdnum.au import acn as _au_acn
from stdnum.au import tfn as _au_tfn
from stdnum.be import nn as _be_nn
from stdnum.br import cpf as _br_cpf
from stdnum.ch import ssn as _ch_ssn
from stdnum.cn import ric as _cn_ric
from stdnum.de import vat as _de_vat
from stdnum.dk import cpr as _dk_cpr
from stdnum.es import nie as _es_nie
from stdnum.fr import nir as _fr_nir
from stdnum.gb import nhs as _gb_nhs
from stdnum.it import codicefiscale as _it_cf
from stdnum.it import iva as _it_iva
from stdnum.mx import curp as _mx_curp
from stdnum.nl import bsn as _nl_bsn
from stdnum.no import fodselsnummer as _no_fnr
from stdnum.pl import pesel as _pl_pesel
from stdnum.se import orgnr as _se_orgnr
from stdnum.se import personnummer as _se_pnr
from stdnum.sg import uen as _sg_uen
from stdnum.tr import tckimlik as _tr_tckimlik

from sounding.domain.checksums import (
    all_same,
    digits_only,
    icao_check_ok,
    luhn_ok,
    two_digit_year_date,
    weighted_sum,
)
from sounding.scanning.classification.national_ids_world import (
    au_medicare,
    ca_sin,
    in_aadhaar,
    in_gstin,
    in_pan,
    kr_brn,
    kr_frn,
    kr_rrn,
    ng_nin,
    sg_nric,
    th_tnin,
    za_id,
)

_Validator = Callable[[str], float]


def _stdnum(module: object) -> _Validator:
    is_valid = module.is_valid  # type: ignore[attr-defined]

    def validate(value: str) -> float:
        return 1.0 if is_valid(value) else 0.0

    validate.__doc__ = f"python-stdnum ``{module.__name__}.is_valid``."  # type: ignore[attr-defined]
    return validate


# --- United States -----------------------------------------------------------------------

_INVALID_SSNS = frozenset({"078051120", "219099999", "123456789", "457555462"})
_GROUPED_3_2_4 = re.compile(r"\d{3}([-. ])\d{2}\1\d{4}")
_PARTLY_GROUPED = re.compile(r"\d{3}[-. ]\d{6}|\d{5}[-. ]\d{4}")


def _ssn_format_score(value: str) -> float:
    """1.0 for ``ddd-dd-dddd``; 0.7 for one separator at an SSN position; 0.35 bare digits."""
    if _GROUPED_3_2_4.fullmatch(value):
        return 1.0
    if value.isdigit():
        return 0.35
    return 0.7 if _PARTLY_GROUPED.fullmatch(value) else 0.0


def us_ssn(value: str) -> float:
    """US SSN: area not 000/666/9xx, group not 00, serial not 0000; graded by formatting."""
    d = digits_only(value)
    if len(d) != 9 or not d.isdigit() or all_same(d) or d in _INVALID_SSNS:
        return 0.0
    if d[:3] in ("000", "666") or d[0] == "9" or d[3:5] == "00" or d[5:] == "0000":
        return 0.0
    return _ssn_format_score(value)


def us_itin(value: str) -> float:
    """US ITIN: 9xx-GG-xxxx with group 50-65, 70-88, 90-92 or 94-99."""
    d = digits_only(value)
    if len(d) != 9 or not d.isdigit() or d[0] != "9":
        return 0.0
    group = int(d[3:5])
    if not (50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or group >= 94):
        return 0.0
    return _ssn_format_score(value)


def us_npi(value: str) -> float:
    """US National Provider Identifier: 10 digits, Luhn over the ``80840`` prefix."""
    d = digits_only(value)
    if len(d) != 10 or not d.isdigit() or d[0] not in "12" or all_same(d[1:9]):
        return 0.0
    return 1.0 if luhn_ok("80840" + d) else 0.0


def us_dea(value: str) -> float:
    """US DEA registration number: 2 letters (or letter + 9) and 7 digits with a check digit."""
    v = value.upper()
    d = v[2:]
    if len(v) != 9 or not d.isdigit():
        return 0.0
    odd = int(d[0]) + int(d[2]) + int(d[4])
    even = int(d[1]) + int(d[3]) + int(d[5])
    return 1.0 if (odd + 2 * even) % 10 == int(d[6]) else 0.0


# --- United Kingdom ----------------------------------------------------------------------


def uk_nhs(value: str) -> float:
    """UK NHS number: 10 digits, mod-11 check digit."""
    d = digits_only(value)
    return 1.0 if len(d) == 10 and not all_same(d) and _gb_nhs.is_valid(d) else 0.0


_UK_DL = re.compile(r"[A-Z](?:[A-Z]{4}|[A-Z]{3}9|[A-Z]{2}99|[A-Z]999|9999)\d{6}[A-Z9]{2}\d[A-Z]{2}")


def uk_driving_licence(value: str) -> float:
    """UK driving licence: surname (9-padded), decade, month (+50 for women), day, year,
    initials, digit and two check letters."""
    v = value.upper()
    if not _UK_DL.fullmatch(v):
        return 0.0
    month, day = int(v[6:8]), int(v[8:10])
    if not (1 <= month <= 12 or 51 <= month <= 62) or not 1 <= day <= 31:
        return 0.0
    return 1.0


# --- Europe ------------------------------------------------------------------------------

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(value: str) -> float:
    """Spanish DNI/NIF: 8 digits (7 with an implied leading zero) and a mod-23 letter."""
    v = digits_only(value).upper()
    number, letter = v[:-1], v[-1:]
    if not number.isdigit() or not 7 <= len(number) <= 8 or not letter.isalpha():
        return 0.0
    return 1.0 if _DNI_LETTERS[int(number) % 23] == letter else 0.0


def es_nie(value: str) -> float:
    """Spanish NIE: X/Y/Z, 7 digits and a mod-23 letter."""
    return 1.0 if _es_nie.is_valid(digits_only(value).upper()) else 0.0


_CF_STRUCTURE = re.compile(
    r"[A-Z]{6}[\dLMNP-V]{2}[ABCDEHLMPRST][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z]"
)


def it_fiscal_code(value: str) -> float:
    """Italian codice fiscale: name/date/place structure; the check letter raises the score."""
    v = value.upper()
    if not _CF_STRUCTURE.fullmatch(v):
        return 0.0
    return 1.0 if _it_cf.is_valid(v) else 0.65


_PESEL = re.compile(r"\d{11}")


def pl_pesel(value: str) -> float:
    """Polish PESEL: 11 digits, birth date with century offset, weighted check digit."""
    return 1.0 if _PESEL.fullmatch(value) and _pl_pesel.is_valid(value) else 0.0


_HETU = re.compile(r"(\d{6})([-+ABCDEFYXWVU])(\d{3})([0-9A-Y])", re.IGNORECASE)
_HETU_CENTURY = {"+": 1800, "-": 1900, "A": 2000}
_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def fi_hetu(value: str) -> float:
    """Finnish henkilötunnus, including the century signs introduced in 2023."""
    m = _HETU.fullmatch(value)
    if not m:
        return 0.0
    dob, sign, serial, check = m.groups()
    sign = sign.upper()
    century = _HETU_CENTURY.get(sign, 2000 if sign in "BCDEF" else 1900)
    if not two_digit_year_date(dob[4:6] + dob[2:4] + dob[:2], century) or int(serial) < 2:
        return 0.0
    return 1.0 if _HETU_CHECK[int(dob + serial) % 31] == check.upper() else 0.0


def de_tax_id(value: str) -> float:
    """German Steuer-IdNr: 11 digits, ISO 7064 mod 11,10 check, no digit more than three times
    in the first ten; exactly one repeated digit (the issuing rule) raises the score."""
    d = digits_only(value)
    if len(d) != 11 or not d.isdigit() or d[0] == "0" or all_same(d):
        return 0.0
    product = 10
    for ch in d[:10]:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = (11 - product) % 10
    if check != int(d[10]):
        return 0.0
    counts = sorted((d[:10].count(c) for c in set(d[:10])), reverse=True)
    if counts[0] > 3:
        return 0.0
    return 1.0 if counts[0] in (2, 3) and counts[1] == 1 else 0.6


_SVNR_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def de_social_security(value: str) -> float:
    """German Rentenversicherungsnummer: area, birth date, initial, serial, check digit."""
    v = value.upper().replace(" ", "")
    if not re.fullmatch(r"\d{8}[A-Z]\d{3}", v):
        return 0.0
    day, month = int(v[2:4]), int(v[4:6])
    if not (1 <= day <= 31 or 51 <= day <= 81) or not 1 <= month <= 12:
        return 0.0
    effective = v[:8] + f"{ord(v[8]) - 64:02d}" + v[9:11]
    total = sum(sum(divmod(int(c) * w, 10)) for c, w in zip(effective, _SVNR_WEIGHTS, strict=True))
    return 1.0 if total % 10 == int(v[11]) else 0.0


def de_health_insurance(value: str) -> float:
    """German Krankenversichertennummer: letter, 8 digits, check digit (weights 1-2)."""
    v = value.upper()
    if not re.fullmatch(r"[A-Z]\d{9}", v):
        return 0.0
    digits = f"{ord(v[0]) - 64:02d}" + v[1:9]
    total = sum(sum(divmod(int(c) * (1 if i % 2 == 0 else 2), 10)) for i, c in enumerate(digits))
    return 1.0 if total % 10 == int(v[9]) else 0.0


def de_lanr(value: str) -> float:
    """German lifelong doctor number (LANR): 6 digits, check digit (weights 4-9), 2 digits."""
    d = digits_only(value)
    if len(d) != 9 or not d.isdigit() or d[:6] == "000000":
        return 0.0
    check = (10 - weighted_sum(d[:6], (4, 9, 4, 9, 4, 9)) % 10) % 10
    return 1.0 if check == int(d[6]) else 0.0


_DE_SERIAL = re.compile(r"[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{7}\d")


def de_id_document(value: str) -> float:
    """German identity card / passport serial: 9 characters, ICAO 7-3-1 check digit."""
    v = value.upper()
    return 1.0 if _DE_SERIAL.fullmatch(v) and icao_check_ok(v) else 0.0


def de_vat(value: str) -> float:
    """German USt-IdNr: DE + 9 digits with an ISO 7064 check digit."""
    return 1.0 if _de_vat.is_valid(value.upper().replace("-", "").replace(".", "")) else 0.0


def se_personnummer(value: str) -> float:
    """Swedish personnummer: birth date (10 or 12 digits) and Luhn over the last 10 digits."""
    d = digits_only(value.replace("+", "-"))
    if len(d) == 12:
        if not d.startswith(("18", "19", "20")):
            return 0.0
        value = d[2:8] + "-" + d[8:]
    return 1.0 if _se_pnr.is_valid(value) else 0.0


NATIONAL_ID_VALIDATORS: dict[str, _Validator] = {
    "us_ssn": us_ssn,
    "us_itin": us_itin,
    "us_npi": us_npi,
    "us_dea": us_dea,
    "uk_nhs": uk_nhs,
    "uk_driving_licence": uk_driving_licence,
    "es_dni": es_dni,
    "es_nie": es_nie,
    "it_fiscal_code": it_fiscal_code,
    "it_vat": _stdnum(_it_iva),
    "pl_pesel": pl_pesel,
    "fi_hetu": fi_hetu,
    "de_tax_id": de_tax_id,
    "de_social_security": de_social_security,
    "de_health_insurance": de_health_insurance,
    "de_lanr": de_lanr,
    "de_id_document": de_id_document,
    "de_vat": de_vat,
    "se_personnummer": se_personnummer,
    "se_orgnr": _stdnum(_se_orgnr),
    "kr_rrn": kr_rrn,
    "kr_frn": kr_frn,
    "kr_brn": kr_brn,
    "sg_nric": sg_nric,
    "sg_uen": _stdnum(_sg_uen),
    "au_abn": _stdnum(_au_abn),
    "au_acn": _stdnum(_au_acn),
    "au_tfn": _stdnum(_au_tfn),
    "au_medicare": au_medicare,
    "ca_sin": ca_sin,
    "th_tnin": th_tnin,
    "ng_nin": ng_nin,
    "in_aadhaar": in_aadhaar,
    "in_pan": in_pan,
    "in_gstin": in_gstin,
    "za_id": za_id,
    "tr_tckn": _stdnum(_tr_tckimlik),
    "br_cpf": _stdnum(_br_cpf),
    "nl_bsn": _stdnum(_nl_bsn),
    "dk_cpr": _stdnum(_dk_cpr),
    "no_fnr": _stdnum(_no_fnr),
    "fr_nir": _stdnum(_fr_nir),
    "be_nn": _stdnum(_be_nn),
    "ch_ahv": _stdnum(_ch_ssn),
    "cn_ric": _stdnum(_cn_ric),
    "mx_curp": _stdnum(_mx_curp),
    "luhn": lambda value: 1.0 if _luhn.is_valid(digits_only(value)) else 0.0,
}
