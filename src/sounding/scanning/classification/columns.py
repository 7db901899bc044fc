"""Column preparation: normalized names, type families and the distinct-value sample."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])")
_NON_WORD = re.compile(r"[\W_]+")
_KEY_SUFFIX = re.compile(r"(?:^| )(?:id|key|pk|fk|sk|uuid|guid)$")


@dataclass(frozen=True, slots=True)
class ColumnName:
    """``raw`` as typed; ``text`` lower-case words separated by single spaces."""

    raw: str
    text: str

    @property
    def is_key(self) -> bool:
        """Ends in ``id``/``key``/``fk``...: a reference to a row, not the value itself."""
        return bool(_KEY_SUFFIX.search(self.text))


def normalize_name(name: str) -> ColumnName:
    """``"E-Mail Address"``, ``"EmailAddress"``, ``"email_address"`` -> ``"email address"``.

    camelCase and letter-digit boundaries are split (``address2`` -> ``address 2``), accents
    and case are folded (``Straße`` -> ``strasse``; letters of
    other scripts are kept), and every run of other characters becomes one space.
    """
    split = _CAMEL.sub(" ", name)
    folded = unicodedata.normalize("NFKD", split.casefold())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    return ColumnName(raw=name, text=_NON_WORD.sub(" ", ascii_only).strip())


_TYPE_WORDS = (
    ("boolean", ("bool", "bit")),
    ("binary", ("blob", "binary", "bytea", "image", "varbinary", "raw")),
    ("temporal", ("date", "time", "interval")),
    ("integer", ("int", "serial", "long", "short")),
    ("decimal", ("dec", "numeric", "number", "real", "float", "double", "money")),
    ("string", ("char", "text", "string", "clob", "varchar", "uuid", "json", "xml", "enum")),
)


def type_family(data_type: str | None) -> str:
    """Map a database or file type name to one of string/integer/decimal/temporal/boolean/
    binary/unknown."""
    if not data_type:
        return "unknown"
    lowered = data_type.lower()
    for family, words in _TYPE_WORDS:
        if any(w in lowered for w in words):
            return family
    return "unknown"


@dataclass(frozen=True, slots=True)
class ColumnSample:
    """The distinct non-empty values of a column sample, as stripped strings."""

    values: tuple[str, ...]
    total: int
    non_null: int
    distinct: int
    truncated: bool


def _to_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | bytes | bytearray | memoryview):
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


def _clean(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def sample_column(values: Sequence[object], max_distinct: int | None = 1000) -> ColumnSample:
    """Deduplicate first (cheap, in C), then convert and clean at most ``max_distinct`` values.

    ``None``, NaN, booleans, binary values and blank strings count as null.
    """
    total = len(values)
    try:
        distinct_raw = dict.fromkeys(values)
    except TypeError:  # unhashable values (lists, dicts): compare their text
        distinct_raw = dict.fromkeys(str(v) for v in values if v is not None)
    distinct_raw.pop(None, None)
    nulls = values.count(None)
    head = distinct_raw if max_distinct is None else islice(distinct_raw, max_distinct + 1)
    cleaned: dict[str, None] = {}
    blanks = 0
    for raw in head:
        text = _to_text(raw)
        if text is None:
            continue
        text = _clean(text)
        if text:
            cleaned[text] = None
        else:
            blanks += 1
    truncated = max_distinct is not None and len(distinct_raw) > max_distinct
    kept = tuple(islice(cleaned, max_distinct)) if truncated else tuple(cleaned)
    if blanks and not kept:
        nulls = total  # only blanks: treat as empty
    non_null = max(total - nulls, len(kept))
    return ColumnSample(
        values=kept,
        total=total,
        non_null=non_null,
        distinct=len(distinct_raw),
        truncated=truncated,
    )
