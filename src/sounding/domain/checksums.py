"""Check-digit algorithms (Luhn, Verhoeff, weighted sums), shared by the classification
validators and the compliance controls."""

from __future__ import annotations

from datetime import date

_SEPARATORS = str.maketrans("", "", " -./()_:")


def digits_only(value: str) -> str:
    """``value`` without the usual separators (space, dash, dot, slash, parentheses)."""
    return value.translate(_SEPARATORS)


def all_same(digits: str) -> bool:
    return len(set(digits)) <= 1


def luhn_ok(digits: str) -> bool:
    """ISO/IEC 7812 Luhn check over a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_ok(digits: str) -> bool:
    """Verhoeff dihedral-group check (Aadhaar, Nigerian NIN)."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][ord(ch) - 48]]
    return c == 0


def weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum((ord(c) - 48) * w for c, w in zip(digits, weights, strict=False))


def icao_check_ok(serial: str) -> bool:
    """ICAO 9303 7-3-1 check digit over alphanumerics (A=10 ... Z=35), last char is the check."""
    total = 0
    for i, ch in enumerate(serial[:-1]):
        value = ord(ch) - 48 if ch.isdigit() else ord(ch) - 55
        total += value * (7, 3, 1)[i % 3]
    return serial[-1].isdigit() and total % 10 == ord(serial[-1]) - 48


def valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def two_digit_year_date(yymmdd: str, century: int | None = None) -> bool:
    """``YYMMDD`` is a real date, in ``century`` if given, else 19xx or 20xx not in the future."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if century is not None:
        return valid_date(century + yy, mm, dd)
    today = date.today()
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    return valid_date(year, mm, dd)
