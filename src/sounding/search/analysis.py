"""Text analysis shared by the index, the query builder and the brute-force oracle.

Names are split into words the way people read them: ``raw_customer_addresses``,
``MediaTypeId``, ``main.orders`` and ``HTTPServer2`` become ``raw customer addresses``,
``media type id``, ``main orders`` and ``http server 2``. Words are folded to lower-case
ASCII, stop words dropped, and plurals reduced by a light stemmer (``addresses`` ->
``address``, ``categories`` -> ``category``) so a query and a name meet halfway. A
multi-part identifier also yields its parts joined (``trackid``) so typing a name without
its separators still finds it.

Everything the index stores is produced here, and the oracle uses the same functions, so
what "matches" means is defined once.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

MAX_TERM_BYTES = 40  # tantivy's tokenizers drop longer tokens; so do we, to agree with it
MAX_QUERY_TERMS = 8
PREFIX_MIN_CHARS = 3  # a query word this long also matches words it starts
FUZZY_MIN_CHARS = 5  # a query word this long also matches words one edit away

# word lists as text: one quoted word a line would make them 50 lines long
STOP_WORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or that the their
    there these this those to was were which with what where who all any""".split()  # noqa: SIM905
)
_IE_NOUNS = frozenset(
    "movie cookie calorie zombie genie rookie selfie smoothie pie tie lie die".split()  # noqa: SIM905
)
_UNCHANGED = frozenset(
    "series species news status analysis basis bus gas plus".split()  # noqa: SIM905
)

_IDENT = re.compile(r"[^\W_]+(?:_+[^\W_]+)*|[^\W_]+", re.UNICODE)
_RUN = re.compile(r"[^\W_]+", re.UNICODE)
_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^\W\d_A-Za-z]+")


def _deaccent(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case ASCII where possible: ``Café`` -> ``cafe``."""
    return _deaccent(text).lower()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Reduce an English plural to its singular; leave everything else alone."""
    n = len(word)
    if n <= 3 or not word.endswith("s") or word in _UNCHANGED:
        return word
    if word.endswith("ies") and n > 4:
        return word[:-1] if word[:-1] in _IE_NOUNS else word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def _pieces(identifier: str) -> list[str]:
    """Split one identifier (underscores allowed) on ``_``, case changes and digits."""
    out: list[str] = []
    for run in _deaccent(identifier).split("_"):
        if run:
            out.extend(_PIECE.findall(run) or [run])
    return out


@lru_cache(maxsize=200_000)
def _analyze_identifier(identifier: str) -> tuple[str, ...]:
    words = [fold(p) for p in _pieces(identifier)]
    terms = [stem(w) for w in words if w not in STOP_WORDS]
    if len(words) > 1:
        terms.append(stem("".join(words)))
    return tuple(t for t in terms if t and len(t.encode()) <= MAX_TERM_BYTES)


def analyze(text: str | None) -> list[str]:
    """Index terms of a text or a name, in order, repeats kept (they count for BM25)."""
    if not text:
        return []
    out: list[str] = []
    for ident in _IDENT.findall(text):
        out.extend(_analyze_identifier(ident))
    return out


def analyze_all(texts: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for text in texts:
        out.extend(analyze(text))
    return out


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, first ones first, at most ``MAX_QUERY_TERMS``."""
    seen: dict[str, None] = {}
    for term in analyze(text):
        seen.setdefault(term, None)
        if len(seen) == MAX_QUERY_TERMS:
            break
    return list(seen)


def query_words(text: str) -> list[str]:
    """The distinct words of a query without the joined-identifier terms: what a document
    must all match to earn the all-words bonus."""
    seen: dict[str, None] = {}
    for ident in _IDENT.findall(text):
        for piece in _pieces(ident):
            word = fold(piece)
            term = stem(word)
            if word not in STOP_WORDS and term and len(term.encode()) <= MAX_TERM_BYTES:
                seen.setdefault(term, None)
    return list(seen)[:MAX_QUERY_TERMS]


def prefixes(terms: Iterable[str]) -> list[str]:
    """Every prefix of at least ``PREFIX_MIN_CHARS`` of each term (the term included)."""
    out: dict[str, None] = {}
    for term in terms:
        for end in range(PREFIX_MIN_CHARS, len(term) + 1):
            out.setdefault(term[:end], None)
    return list(out)


_IDENTIFIER_LIKE = re.compile(r"[_.#]|[a-z][A-Z]|\w\d")


def looks_like_identifier(text: str) -> bool:
    """``raw_orders``, ``main.orders``, ``TrackId``: a name, not a sentence."""
    return bool(_IDENTIFIER_LIKE.search(text))


@lru_cache(maxsize=200_000)
def split_words(text: str) -> tuple[str, ...]:
    """Plain lower-case words of a name or text, unstemmed (what embeddings read)."""
    return tuple(fold(p) for ident in _IDENT.findall(text) for p in _pieces(ident))


@lru_cache(maxsize=100_000)
def normalize_exact(text: str | None) -> str:
    """What "exactly the name" compares: case-folded, quotes dropped, spaces collapsed."""
    if not text:
        return ""
    return " ".join(fold(text.replace('"', "")).split())


def within_one_edit(a: str, b: str) -> bool:
    """Optimal-string-alignment distance <= 1: one insert, delete, substitute or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def term_matches(query_term: str, term: str, *, prefix: bool, fuzzy: bool) -> bool:
    """Does an index term satisfy a query term (exactly, by prefix, or one typo away)?"""
    if term == query_term:
        return True
    if prefix and len(query_term) >= PREFIX_MIN_CHARS and term.startswith(query_term):
        return True
    return fuzzy and len(query_term) >= FUZZY_MIN_CHARS and within_one_edit(query_term, term)


def highlight(
    text: str, terms: Sequence[str], *, fuzzy: bool = True, window: int = 160
) -> tuple[str, bool]:
    """HTML-escaped ``text`` with words matching ``terms`` in ``<mark>``; cut around the
    first match when longer than ``window``. Returns the snippet and whether anything
    matched."""
    spans: list[tuple[int, int]] = []
    for m in _RUN.finditer(text):
        run = m.group()
        pieces = _PIECE.finditer(run) if run.isascii() else [m]
        for p in pieces:
            words = _analyze_identifier(p.group()) if p is m else (stem(fold(p.group())),)
            if any(term_matches(t, w, prefix=True, fuzzy=fuzzy) for t in terms for w in words):
                start = p.start() if p is m else m.start() + p.start()
                spans.append((start, start + len(p.group())))
    start, end = 0, len(text)
    if len(text) > window:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - window // 4, len(text) - window))
        end = start + window
    out: list[str] = ["…" if start else ""]
    pos = start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out), bool(spans)
