"""Which glossary terms describe which assets: scored suggestions with their reasons.

Three kinds of evidence, each a confidence in 0..1, combined as independent signals
(``1 - (1 - a)(1 - b)...``):

* **names** - a term's name, synonyms or abbreviations against the asset's name split into
  words (``raw_customers`` -> ``customer``; warehouse layer prefixes such as ``raw_``,
  ``stg_`` and ``mart_`` are dropped). Equal word sequences score highest (name 0.9, synonym
  0.85, abbreviation 0.8). A phrase inside a longer name scores by how much of the name it
  covers, more when it ends the name (``contact_email`` is an email: English compounds end
  with their head noun) and less when it only starts it (``customer_status`` is a status).
  An identifier column (``customer_id``) refers to the thing rather than being it and scores
  lower. When two terms match an asset and one's phrase is contained in the other's
  (``Revenue`` in ``Net Revenue``), the less specific one is halved.
* **classification** - a term may list labels it corresponds to (``PII.Email``); a column
  carrying such a label (or a sub-label) counts 0.7 when suggested, 0.9 when confirmed.
* **description** - similarity of the term's definition and the asset's description, given
  by the caller (the glossary service uses the shipped static embedding model); from 0.6 up
  it counts ``0.8 * similarity``.

Words come from a ``words`` function the caller passes (the service uses the search
analyzer, so glossary matching and search agree on what a word is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.6
LAYER_PREFIXES = frozenset(
    "raw stg staging int intermediate mart marts dim fct fact tmp temp src base vw".split()  # noqa: SIM905
)
ID_WORDS = frozenset({"id", "key", "fk", "pk", "uuid", "guid"})
KIND_BASE = {"name": 0.9, "synonym": 0.85, "abbreviation": 0.8}
KIND_FACTOR = {"name": 1.0, "synonym": 0.95, "abbreviation": 0.9}
DESCRIPTION_MIN = 0.6


@dataclass(frozen=True, slots=True)
class TermProfile:
    """A term as matching sees it: its phrases as word tuples."""

    id: int
    path: str
    name: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    abbreviations: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()  # synonyms then abbreviations as written, for reasons

    def phrases(self) -> list[tuple[str, tuple[str, ...], str]]:
        out = [("name", self.name, self.path.rsplit("/", 1)[-1])]
        out += [("synonym", s, " ".join(s)) for s in self.synonyms]
        out += [("abbreviation", (a,), a) for a in self.abbreviations]
        if len(self.shown) == len(out) - 1:
            out = [
                out[0],
                *((k, p, text) for (k, p, _), text in zip(out[1:], self.shown, strict=True)),
            ]
        return [p for p in out if p[1]]


@dataclass(frozen=True, slots=True)
class AssetProfile:
    """An asset as matching sees it. ``labels`` are (classification label, status)."""

    id: int
    type: str
    name: str
    words: tuple[str, ...]
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkSuggestion:
    term_id: int
    asset_id: int
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _NameMatch:
    confidence: float
    phrase: tuple[str, ...]
    exact: bool
    reason: str


def name_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """Drop leading warehouse layer prefixes (``raw_``, ``stg_``, ``mart_``...)."""
    out = words
    while len(out) > 1 and out[0] in LAYER_PREFIXES:
        out = out[1:]
    return out


def _find(phrase: tuple[str, ...], words: tuple[str, ...]) -> int:
    n = len(phrase)
    for i in range(len(words) - n + 1):
        if words[i : i + n] == phrase:
            return i
    return -1


def match_name(
    kind: str, phrase: tuple[str, ...], shown: str, asset: AssetProfile
) -> _NameMatch | None:
    words = asset.words
    if not words:
        return None
    what = {"name": "name", "synonym": "synonym", "abbreviation": "abbreviation"}[kind]
    if "".join(phrase) == "".join(words):
        return _NameMatch(KIND_BASE[kind], phrase, True, f"{what} '{shown}' equals '{asset.name}'")
    at = _find(phrase, words)
    if at < 0:
        return None
    coverage = len(phrase) / len(words)
    score = 0.45 + 0.35 * coverage
    end = at + len(phrase)
    if end == len(words):
        score += 0.1
        where = "ends"
    elif words[end] in ID_WORDS and not set(phrase) & ID_WORDS:
        score -= 0.3
        where = "is referenced by"
    elif at == 0:
        score -= 0.1
        where = "starts"
    else:
        where = "is inside"
    score *= KIND_FACTOR[kind]
    return _NameMatch(score, phrase, False, f"{what} '{shown}' {where} '{asset.name}'")


def best_name_match(term: TermProfile, asset: AssetProfile) -> _NameMatch | None:
    found = [m for k, p, s in term.phrases() if (m := match_name(k, p, s, asset))]
    return max(found, key=lambda m: m.confidence, default=None)


def classification_evidence(term: TermProfile, asset: AssetProfile) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for hint in term.classifications:
        for label, status in asset.labels:
            if status == "rejected" or not (label == hint or label.startswith(hint + ".")):
                continue
            conf = 0.9 if status == "confirmed" else 0.7
            if best is None or conf > best[0]:
                best = (conf, f"classified {label} ({status}), which the term maps to")
    return best


def combine(confidences: Iterable[float]) -> float:
    rest = 1.0
    for c in confidences:
        rest *= 1.0 - max(0.0, min(1.0, c))
    return round(min(0.99, 1.0 - rest), 4)


def _candidates(
    terms: Iterable[TermProfile],
    assets: Mapping[int, AssetProfile],
    similarity: Mapping[tuple[int, int], float],
) -> dict[int, set[int]]:
    """Asset ids worth scoring per term: sharing a phrase's words, a label, or similar text."""
    by_word: dict[str, set[int]] = {}
    by_compact: dict[str, set[int]] = {}
    by_label: dict[str, set[int]] = {}
    for asset in assets.values():
        for w in asset.words:
            by_word.setdefault(w, set()).add(asset.id)
        by_compact.setdefault("".join(asset.words), set()).add(asset.id)
        for label, _ in asset.labels:
            parts = label.split(".")
            for i in range(1, len(parts) + 1):
                by_label.setdefault(".".join(parts[:i]), set()).add(asset.id)
    out: dict[int, set[int]] = {}
    for term in terms:
        found: set[int] = set()
        for _, phrase, _ in term.phrases():
            found |= by_compact.get("".join(phrase), set())
            sets = [by_word.get(w, set()) for w in phrase]
            if sets:
                found |= set.intersection(*sets)
        for hint in term.classifications:
            found |= by_label.get(hint, set())
        out[term.id] = found
    for term_id, asset_id in similarity:
        out.setdefault(term_id, set()).add(asset_id)
    return out


def suggest_links(
    terms: Iterable[TermProfile],
    assets: Iterable[AssetProfile],
    similarity: Mapping[tuple[int, int], float] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    skip: Iterable[tuple[int, int]] = (),
) -> list[LinkSuggestion]:
    """Suggestions at or above ``threshold``, best first; ``skip`` pairs (term id, asset id)
    are never suggested (already linked, or rejected by a person)."""
    similarity = similarity or {}
    term_list = list(terms)
    by_id = {a.id: a for a in assets}
    skipped = set(skip)
    names: dict[int, dict[int, _NameMatch]] = {}  # asset -> term -> match
    other: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for term in term_list:
        for asset_id in _candidates([term], by_id, similarity).get(term.id, ()):
            if (term.id, asset_id) in skipped or asset_id not in by_id:
                continue
            asset = by_id[asset_id]
            evidence: list[tuple[float, str]] = []
            match = best_name_match(term, asset)
            if match:
                names.setdefault(asset_id, {})[term.id] = match
            if cls := classification_evidence(term, asset):
                evidence.append(cls)
            sim = similarity.get((term.id, asset_id), 0.0)
            if sim >= DESCRIPTION_MIN:
                evidence.append(
                    (0.8 * sim, f"description is similar to the definition ({sim:.2f})")
                )
            if evidence or match:
                other[(term.id, asset_id)] = evidence
    out: list[LinkSuggestion] = []
    for (term_id, asset_id), evidence in other.items():
        items = list(evidence)
        match = names.get(asset_id, {}).get(term_id)
        if match:
            conf = match.confidence
            if not match.exact and _less_specific(match, names[asset_id].values()):
                conf *= 0.5
            items.insert(0, (conf, match.reason))
        confidence = combine(c for c, _ in items)
        if confidence >= threshold:
            reasons = tuple(r for _, r in sorted(items, key=lambda x: -x[0]))
            out.append(LinkSuggestion(term_id, asset_id, confidence, reasons))
    out.sort(key=lambda s: (-s.confidence, s.term_id, s.asset_id))
    return out


def _less_specific(match: _NameMatch, rivals: Iterable[_NameMatch]) -> bool:
    """Another term matched a longer phrase containing this one."""
    return any(
        len(r.phrase) > len(match.phrase) and _find(match.phrase, r.phrase) >= 0 for r in rivals
    )
