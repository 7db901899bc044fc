"""Value validators: checksums, structural checks and plausibility checks.

A validator takes the text a value pattern matched and returns a score in ``[0, 1]``:
0 means "not this kind of value" (a failed checksum, an impossible date), 1 means fully valid,
and values in between grade weaker evidence (an SSN without separators, a VIN without a valid
North-American check digit). The rule's pattern strength is multiplied by this score.

Validators are registered by name in :data:`VALIDATORS`; rule-set YAML refers to them by name.
Country-specific identifiers are in :mod:`.national_ids` and registered here too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date
from functools import cache

from stdnum import bic as _bic
from stdnum import bitcoin as _bitcoin
from stdnum import iban as _iban
from stdnum.us import rtn as _rtn

from sounding.domain.checksums import all_same as _all_same
from sounding.domain.checksums import digits_only, luhn_ok
from sounding.scanning.classification import national_ids

Validator = Callable[[str], float]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- payment and banking -------------------------------------------------------------------

_CARD_PREFIXES = re.compile(
    r"4|5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|3(?:0[0-5]|[68])|35"
    r"|6(?:011|5|4[4-9]|2)|5[06-8]|6[37]|1"
)


def card_number(value: str) -> float:
    """Payment card number: 13-19 digits, a known issuer prefix and a valid Luhn checksum."""
    digits = digits_only(value)
    if not (13 <= len(digits) <= 19) or not digits.isdigit() or _all_same(digits):
        return 0.0
    if not _CARD_PREFIXES.match(digits):
        return 0.0
    if digits[0] == "1" and len(digits) != 15:  # UATP cards are the only 1-prefixed ones
        return 0.0
    return 1.0 if luhn_ok(digits) else 0.0


def iban(value: str) -> float:
    """IBAN: country-specific length and the ISO 7064 mod-97 check; mixed-case rejected."""
    letters = [c for c in value if c.isalpha()]
    if any(c.islower() for c in letters) and any(c.isupper() for c in letters):
        return 0.0
    return 1.0 if _iban.is_valid(value.upper(), check_country=False) else 0.0


def swift_bic(value: str) -> float:
    """SWIFT/BIC: 8 or 11 characters with a real ISO country code in positions 5-6 and the
    ISO 9362 location and branch structure: the location code (7-8) does not start with 0 or
    1 and has no letter O second (it would read as the test digit 0); a branch code (9-11)
    starting with X is ``XXX``. Upper-case words that pass (``DOWNTOWN``: TO is Tonga) are
    weaker evidence, see below."""
    compact = value.replace(" ", "").upper()
    if not _bic.is_valid(compact):
        return 0.0
    if compact[6] in "01" or compact[7] == "O":
        return 0.0
    if len(compact) == 11 and compact[8] == "X" and compact[8:] != "XXX":
        return 0.0
    if compact[:4].isalpha() and compact[6:8].isalpha() and not any(c.isdigit() for c in compact):
        return 0.6  # all-letter codes collide with ordinary upper-case words
    return 1.0


def aba_routing(value: str) -> float:
    """US ABA routing transit number (3-7-1 weighted checksum)."""
    digits = digits_only(value)
    if len(digits) != 9 or _all_same(digits):
        return 0.0
    return 1.0 if _rtn.is_valid(digits) else 0.0


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _bech32_polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _segwit_ok(value: str) -> bool:
    """BIP-173/350: bech32 checksum for witness version 0, bech32m for versions 1-16."""
    if value.lower() != value and value.upper() != value:
        return False
    hrp, _, data = value.lower().rpartition("1")
    if hrp not in ("bc", "tb") or len(data) < 7 or any(c not in _BECH32 for c in data):
        return False
    values = [_BECH32.index(c) for c in data]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    constant = 1 if values[0] == 0 else 0x2BC830A3
    return values[0] <= 16 and _bech32_polymod(expanded + values) == constant


def bitcoin_address(value: str) -> float:
    """Bitcoin address: base58check (P2PKH/P2SH) or bech32/bech32m (segwit, taproot)."""
    if value[:3].lower() in ("bc1", "tb1"):
        return 1.0 if _segwit_ok(value) else 0.0
    return 1.0 if _bitcoin.is_valid(value) else 0.0


# --- contact -----------------------------------------------------------------------------

_TLD = re.compile(r"(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})", re.IGNORECASE)


def email(value: str) -> float:
    """E-mail address: a sane local part and a domain ending in a real-looking TLD."""
    local, _, domain = value.rpartition("@")
    if not local or len(local) > 64 or ".." in value or domain.startswith("."):
        return 0.0
    tld = domain.rsplit(".", 1)[-1]
    return 1.0 if "." in domain and _TLD.fullmatch(tld) else 0.0


_GROUPS = re.compile(r"\d+")
_DATE_LIKE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
)
_NANP = re.compile(r"(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}")
_NANP_VALID = re.compile(r"(?:\+?1[-. ]?)?(?:\([2-9]\d\d\)\s?|[2-9]\d\d[-. ])[2-9]\d\d[-. ]\d{4}")
_NATIONAL_MOBILE = re.compile(r"0[5-9]\d{8,9}")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d{1,5}$", re.IGNORECASE)


def phone(value: str) -> float:
    """Phone number, graded by how phone-like its formatting is.

    International ``+`` 1.0, ``00`` + country code 0.8; North-American ``(415) 555-0132``
    0.9; grouped national numbers with a trunk ``0`` (``0917 123 4567``) 0.7; bare national
    mobile numbers (``0[5-9]`` + 8-9 digits) 0.65; other grouped numbers 0.6;
    3-3-4 groups that break North-American numbering rules 0.5; other bare digit strings 0.3.
    Below 0.63 (x the rule strength 0.8 < 0.5) a column name must say "phone". Dates, IPv4
    addresses and version-like strings (a dotted 1-digit group after the first) are rejected.
    """
    text = _EXTENSION.sub("", value).replace("(0)", "")
    digits = digits_only(text).lstrip("+")
    if not digits.isdigit() or not 7 <= len(digits) <= 15 or _all_same(digits):
        return 0.0
    if _DATE_LIKE.fullmatch(text) or ipv4(text) or text.count("(") != text.count(")"):
        return 0.0
    groups = _GROUPS.findall(text)
    if "." in text and any(len(g) < 2 for g in groups[1:]):  # 74.0.3729.131 is a version
        return 0.0
    if text.startswith(("+", "(+")):
        return 1.0 if len(digits) >= 8 else 0.0
    if text.startswith("00") and text[2:3] != "0":
        return 0.8 if len(digits) >= 10 else 0.0
    if len(groups) > 1 and len(groups[0]) > 5:  # no numbering plan has a longer area code
        return 0.0
    if _NANP.fullmatch(text):
        return 0.9 if _NANP_VALID.fullmatch(text) else 0.5
    if text.isdigit():
        return 0.65 if _NATIONAL_MOBILE.fullmatch(text) else 0.3
    if digits.startswith("0") and 10 <= len(digits) <= 11:
        return 0.7  # national format with trunk prefix: 0917 123 4567, 030-0074321
    return 0.6


# --- network -----------------------------------------------------------------------------


def ipv4(value: str) -> float:
    """IPv4 address (optionally with a /prefix); each octet 0-255."""
    host, _, prefix = value.partition("/")
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return 0.0
    if prefix and not (prefix.isdigit() and int(prefix) <= 32):
        return 0.0
    return 1.0


def ipv6(value: str) -> float:
    """IPv6 address in any RFC 4291/5952 form, with optional zone id and /prefix."""
    host, _, prefix = value.partition("/")
    host = host.split("%", 1)[0]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return 0.0
    if prefix and not (prefix.isdigit() and int(prefix) <= 128):
        return 0.0
    return 1.0


def mac_address(value: str) -> float:
    """MAC address; the all-zero and broadcast addresses identify no device."""
    hexdigits = re.sub(r"[^0-9A-Fa-f]", "", value).upper()
    if len(hexdigits) != 12 or hexdigits in ("000000000000", "FFFFFFFFFFFF"):
        return 0.0
    return 1.0


_URL_HOST = re.compile(r"(?:https?|ftp)://([^/?#:\s]+)|(www\.[^/?#:\s]+)", re.IGNORECASE)


def url(value: str) -> float:
    """URL with a scheme or ``www.``; the host needs a dot and a real-looking TLD (or an IP)."""
    m = _URL_HOST.match(value)
    if not m:
        return 0.0
    host = (m.group(1) or m.group(2)).rstrip(".")
    if ipv4(host):
        return 1.0
    labels = host.split(".")
    if len(labels) < 2 or (labels[0].lower() == "www" and len(labels) < 3):
        return 0.0
    return 1.0 if _TLD.fullmatch(labels[-1]) else 0.0


_FILE_EXTENSIONS = _words(
    "pdf txt csv tsv jpg jpeg png gif bmp svg doc docx xls xlsx ppt pptx htm html exe dll "
    "zip gz tar json xml yaml yml log tmp bak dat bin iso mp3 mp4 avi mov wav sql db ini "
    "cfg conf"
)


def domain(value: str) -> float:
    """Bare domain name (``example.co.uk``): valid labels, an alphabetic TLD that is not a
    file extension, and at least one letter outside the TLD."""
    host = value.split("/", 1)[0].rstrip(".")
    labels = host.split(".")
    if len(labels) < 2 or labels[-1].lower() in _FILE_EXTENSIONS:
        return 0.0
    if not _TLD.fullmatch(labels[-1]) or not any(c.isalpha() for c in "".join(labels[:-1])):
        return 0.0
    return 1.0


# --- vehicles and geo --------------------------------------------------------------------

_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True))}
_VIN_VALUES.update(dict(zip("JKLMN", range(1, 6), strict=True)))
_VIN_VALUES.update({"P": 7, "R": 9})
_VIN_VALUES.update(dict(zip("STUVWXYZ", range(2, 10), strict=True)))
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin(value: str) -> float:
    """Vehicle identification number (ISO 3779): 17 characters without I, O, Q.

    A valid North-American check digit (position 9) gives 1.0; other VINs, which need not
    carry one, 0.75. Strings without both letters and digits are rejected.
    """
    v = value.upper()
    if len(v) != 17 or v.isdigit() or v.isalpha():
        return 0.0
    try:
        total = sum(_VIN_VALUES[c] * w for c, w in zip(v, _VIN_WEIGHTS, strict=True))
    except KeyError:
        return 0.0
    check = total % 11
    return 1.0 if v[8] == ("X" if check == 10 else str(check)) else 0.75


def coordinate_pair(value: str) -> float:
    """``lat, lon`` pair (or WKT ``POINT(lon lat)``) with both numbers in range."""
    nums = re.findall(r"-?\d+(?:\.\d+)?", value)
    if len(nums) != 2:
        return 0.0
    a, b = float(nums[0]), float(nums[1])
    wkt = value.upper().startswith("POINT")
    if wkt:
        a, b = b, a
    if not (-90 <= a <= 90 and -180 <= b <= 180):
        return 0.0
    if wkt:
        return 1.0
    decimals = min(len(n.partition(".")[2]) for n in nums)
    return 1.0 if decimals >= 3 else 0.5


def latitude(value: str) -> float:
    return _coordinate(value, 90.0)


def longitude(value: str) -> float:
    return _coordinate(value, 180.0)


def _coordinate(value: str, limit: float) -> float:
    try:
        number = float(value)
    except ValueError:
        return 0.0
    if not -limit <= number <= limit:
        return 0.0
    return 1.0 if len(value.partition(".")[2]) >= 3 else 0.4


# --- dates, ages, words ------------------------------------------------------------------

_DATE_PATTERNS = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?"), (0, 1, 2)),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T].*)?"), (2, 0, 1)),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), (0, 1, 2)),
)


def parse_date(value: str) -> date | None:
    """Parse ISO, ``m/d/Y``, ``d.m.Y`` and ``YYYYMMDD`` dates (day-first when unambiguous)."""
    for regex, (yi, mi, di) in _DATE_PATTERNS:
        m = regex.fullmatch(value.strip())
        if not m:
            continue
        parts = [int(g) for g in m.groups()]
        year, month, day = parts[yi], parts[mi], parts[di]
        if month > 12 and day <= 12:
            month, day = day, month
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def birth_date(value: str) -> float:
    """A date a living person could be born on: 1900 up to today."""
    parsed = parse_date(value)
    if parsed is None:
        return 0.0
    return 1.0 if date(1900, 1, 1) <= parsed <= date.today() else 0.0


_AGE_RANGE = re.compile(
    r"(\d{1,3})\s*(?:-|\u2013|to|and)\s*(\d{1,3})|(\d{1,3})\s*(?:\+|and (?:over|older)|or older)"
    r"|(?:under|over|below|above)\s*(\d{1,3})",
    re.IGNORECASE,
)


def age(value: str) -> float:
    """A human age (0-125, decimals allowed) or an age band such as ``25-34`` or ``65+``."""
    try:
        number = float(value)
    except ValueError:
        m = _AGE_RANGE.fullmatch(value.strip())
        if not m:
            return 0.0
        return 1.0 if all(int(g) <= 125 for g in m.groups() if g) else 0.0
    return 1.0 if 0 <= number <= 125 else 0.0


_STATUS_WORDS = _words(
    "active inactive pending open closed new done failed success succeeded true false yes "
    "no enabled disabled draft published approved rejected cancelled canceled completed "
    "running queued error ok unknown none null deleted archived valid invalid on off"
)


def place_name(value: str) -> float:
    """Plausible place name: has letters, is not a status word or a number."""
    v = value.strip()
    if not any(c.isalpha() for c in v) or v.casefold() in _STATUS_WORDS or len(v) > 60:
        return 0.0
    return 1.0


_NAME_WORDS = re.compile(r"[^\W\d_]{2,}")
_LEGAL_FORMS = _words(
    "inc ltd llc llp plc corp co gmbh ag kg ohg ug sa sas sarl srl spa bv nv oy ab as aps "
    "kft sro zrt pty limited company group holding holdings bank foundation"
)


_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_NOT_A_NAME = re.compile(r"[a-z]\.[a-z]{2,}\b|&| and | und | et |@|/")


@cache
def _name_vocabulary() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """(common words, frequent names, all names, titles and particles): word lists in
    ``builtin/dictionaries``."""
    from sounding.scanning.classification.loader import builtin_dictionary  # import cycle

    def words(name: str) -> frozenset[str]:
        return builtin_dictionary(name) or frozenset()

    street = frozenset(w for w in words("street_types") if not w.startswith(("*", "~")))
    neutral = frozenset(w.lstrip("~") for w in words("name_titles"))
    common = (words("common_words") | street) - neutral
    return common, words("frequent_names"), words("person_names"), neutral


def preload() -> None:
    """Read the word lists validators use now rather than on the first value (rule-set load)."""
    _name_vocabulary()


def person_name(value: str) -> float:
    """Shape of a personal name: two or more words score 1, a single word 0.75 (a lone
    dictionary word is weaker evidence: colours, cities and names overlap). A company legal
    form (GmbH, Ltd, Inc, ...), "and"/"&" or a domain-like ``smith.com`` rule a person out.

    Name-frequency evidence: a word of everyday vocabulary (``common_words``: "Road",
    "Villa", "Heat", "Cozy") that is not one of the frequent given or family names (Mark,
    Rose, Brown, King stay names) rules a person out, and at least one word must be a name
    that is not also an everyday word, or a frequent one."""
    words = _NAME_WORDS.findall(value.casefold())
    if any(w in _LEGAL_FORMS for w in words) or _NOT_A_NAME.search(value):
        return 0.0
    common, frequent, names, neutral = _name_vocabulary()
    plain = 0
    for compound in _COMPOUND.findall(value.casefold()):
        # a hyphenated word (Hans-Peter, Min-jun) is a name if any part is one
        parts = [p for p in compound.split("-") if len(p) >= 2 and p not in neutral]
        if any(p in frequent or (p in names and p not in common) for p in parts):
            plain += 1
        elif any(p in common and p not in names for p in parts) and not any(
            p in names for p in parts
        ):
            return 0.0  # everyday words only
    if not plain and words:
        return 0.0
    return 1.0 if len(words) >= 2 else 0.75


# 1-6 digits with at most one letter (221B, 12a), a whole word: not 2BR, 5th, 42nd, 3km
_HOUSE_NUMBER = re.compile(r"(?<![^\W_])\d{1,6}[^\W\d_]?(?![^\W_])")


def address_shape(value: str) -> float:
    """Shape of a street address: at most 100 characters and 10 words per line (up to five
    lines: a multi-line address may start with a company, a "c/o" or a building name), with
    a house or box number of 1-6 digits and at most one letter standing as a word of its own
    (sentences that mention a street word are not addresses, nor are "2BR near Hyde Park" or
    "Loft on 5th Avenue")."""
    lines = [line for line in value.splitlines() if line.strip()]
    if len(lines) > 5:
        return 0.0
    for line in lines:
        if len(line) > 100 or len(_NAME_WORDS.findall(line)) > 10:
            return 0.0
    return 1.0 if _HOUSE_NUMBER.search(value) else 0.0


def not_numeric(value: str) -> float:
    """Anything with a letter in it (user names, hashes); pure numbers are not."""
    return 1.0 if any(c.isalpha() for c in value) else 0.0


def any_value(value: str) -> float:
    return 1.0 if value else 0.0


VALIDATORS: dict[str, Validator] = {
    "card_number": card_number,
    "iban": iban,
    "swift_bic": swift_bic,
    "aba_routing": aba_routing,
    "bitcoin_address": bitcoin_address,
    "email": email,
    "phone": phone,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "mac_address": mac_address,
    "url": url,
    "domain": domain,
    "vin": vin,
    "coordinate_pair": coordinate_pair,
    "latitude": latitude,
    "longitude": longitude,
    "birth_date": birth_date,
    "age": age,
    "place_name": place_name,
    "not_numeric": not_numeric,
    "person_name": person_name,
    "address_shape": address_shape,
    "any": any_value,
    **national_ids.NATIONAL_ID_VALIDATORS,
}
