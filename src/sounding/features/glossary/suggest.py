"""Which glossary terms describe which assets: scored suggestions with their reasons.

Three kinds of evidence, each a confidence in 0..1, combined as independent signals
(``1 - (1 - a)(1 - b)...``):

* **names** - a term's name, synonyms, abbreviations and inferred synonyms (:func:`broaden`)
  against the asset's name read as a compound (:mod:`names`: layer prefixes,
  report words such as ``summary``, and unit, state and aggregate suffixes such as ``usd``,
  ``masked`` and ``7d_avg`` are set aside; a prepositional qualifier such as ``since first
  order`` is told apart from the head). Equal word sequences score highest (name 0.9,
  synonym 0.85, abbreviation 0.8; 0.05 less when equal only once suffixes are set aside).
  A phrase inside a longer name scores by how much of the name (or of its head) it covers,
  more when it ends the name (``contact_email`` is an email: English compounds end with
  their head noun) and less when it only starts it (``customer_status`` is a status). An
  identifier column (``customer_id``) refers to the thing rather than being it and scores
  lower; so does a count (``orders``, ``order_count``), a flag (``is_duplicate_email``) and a
  phrase only in the qualifier (``rank_in_department``). When two terms match an asset and
  one's phrase is contained in the other's (``Revenue`` in ``Net Revenue``), the less
  specific one is halved.
* **classification** - a term may list labels it corresponds to (``PII.Email``); a column
  carrying such a label (or a sub-label) counts 0.7 when suggested, 0.9 when confirmed.
* **description** - similarity of the term's definition and the asset's description, given
  by the caller (the glossary service uses the shipped static embedding model); from 0.6 up
  it counts ``0.8 * similarity``.

A term under an entity (*Customer/Email Address*) is that entity's: a column whose own words
and table name another owner (``Employee.Email``, ``raw_suppliers.contact_email``), or that
a short synonym reaches only through other words (``Name`` in ``product_name``), has its
confidence multiplied by 0.6.

Words come from the caller (the service uses the search analyzer, so glossary matching and
search agree on what a word is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from sounding.features.glossary.names import LAYER_PREFIXES, NameShape, plain_shape

DEFAULT_THRESHOLD = 0.6
ID_WORDS = frozenset({"id", "key", "fk", "pk", "uuid", "guid"})
KIND_BASE = {"name": 0.9, "synonym": 0.85, "abbreviation": 0.8, "inferred synonym": 0.8}
KIND_FACTOR = {"name": 1.0, "synonym": 0.95, "abbreviation": 0.9, "inferred synonym": 0.9}
DESCRIPTION_MIN = 0.6
QUALIFIER_SCORE = 0.25  # a phrase only in a prepositional qualifier: "rank_in_department"
COUNT_FACTOR = 0.4  # "orders", "order_count": a number of orders is not an order
FLAG_FACTOR = 0.5  # "is_duplicate_email" is a flag about an email
FOREIGN_OWNER_FACTOR = 0.6  # "Employee.email" for a term about customers' emails


@dataclass(frozen=True, slots=True)
class TermProfile:
    """A term as matching sees it: its phrases as word tuples. ``parent_id`` and
    ``related`` place it among the other terms; ``defined`` says it means something of its
    own (a definition, synonyms, abbreviations or classifications): a term with none of these
    and with children, such as an ancestor an import created, only groups others;
    ``plural_words`` are words its phrases write in the plural (``Net Sales``), so a plural
    in a name is not read as a count of them."""

    id: int
    path: str
    name: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    abbreviations: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()  # synonyms then abbreviations as written, for reasons
    parent_id: int | None = None
    related: tuple[int, ...] = ()
    defined: bool = True
    plural_words: frozenset[str] = frozenset()
    spans: frozenset[tuple[str, ...]] = frozenset()  # phrases written across a preposition
    inferred: tuple[tuple[tuple[str, ...], str], ...] = ()  # (phrase, why), see broaden()

    def phrases(self) -> list[tuple[str, tuple[str, ...], str]]:
        out = [("name", self.name, self.path.rsplit("/", 1)[-1])]
        out += [("synonym", s, " ".join(s)) for s in self.synonyms]
        out += [("abbreviation", (a,), a) for a in self.abbreviations]
        if len(self.shown) == len(out) - 1:
            out = [
                out[0],
                *((k, p, text) for (k, p, _), text in zip(out[1:], self.shown, strict=True)),
            ]
        out += [("inferred synonym", p, " ".join(p)) for p, _ in self.inferred]
        return [p for p in out if p[1]]

    def words(self) -> set[str]:
        return {w for _, p, _ in self.phrases() for w in p}


@dataclass(frozen=True, slots=True)
class AssetProfile:
    """An asset as matching sees it. ``labels`` are (classification label, status);
    ``shape`` is how its name is built (:mod:`names`); ``table`` is, for a column,
    the core words of its table's name (whose column it is)."""

    id: int
    type: str
    name: str
    words: tuple[str, ...]
    labels: tuple[tuple[str, str], ...] = ()
    shape: NameShape | None = None
    table: tuple[str, ...] = ()


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
    modifiers: tuple[str, ...] = field(default=())  # core words before the phrase
    hypernym: bool = False  # a synonym that is only the head of the term's name


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


def _place(
    phrase: tuple[str, ...], words: tuple[str, ...], at: int, head_end: int
) -> tuple[float, str]:
    """Score and wording of a phrase found at ``at`` in ``words`` (before kind factors)."""
    end = at + len(phrase)
    region = words[:head_end] if end <= head_end else words
    coverage = len(phrase) / len(region)
    score = 0.45 + 0.35 * coverage
    if end == len(region):
        if region is not words:
            return min(score + 0.1, 0.8), "heads"
        return score + 0.1, "ends"
    if region[end] in ID_WORDS and not set(phrase) & ID_WORDS:
        return score - 0.3, "is referenced by"
    if at == 0:
        return score - 0.1, "starts"
    return score, "is inside"


def _locate(
    kind: str, phrase: tuple[str, ...], asset: AssetProfile, shape: NameShape, spans: bool
) -> tuple[float, str, int, bool] | None:
    """(score, how it sits, where in the core, whether it is the whole name) of a phrase.

    ``spans``: the phrase was written across a preposition (``Date of Birth``), so it may
    cross the one in the name; otherwise ``Products by Category`` is no product category."""
    words, core, head_end = asset.words, shape.core, shape.head_end
    joined = "".join(phrase)
    if head_end < len(core) and not spans and joined in ("".join(words), "".join(core)):
        return None  # the name's words, but across its preposition
    if joined == "".join(words):
        return KIND_BASE[kind], f"equals '{asset.name}'", 0, True
    if joined == "".join(core):
        without = " ".join(shape.dropped)
        return KIND_BASE[kind] - 0.05, f"equals '{asset.name}' without '{without}'", 0, True
    at = _find(phrase, core)
    if at >= 0:
        if at >= head_end:
            return QUALIFIER_SCORE, f"only qualifies '{asset.name}'", at, False
        if at + len(phrase) > head_end and not spans:
            return None
        score, where = _place(phrase, core, at, head_end)
        return score * KIND_FACTOR[kind], f"{where} '{asset.name}'", at, False
    if core != words and (at := _find(phrase, words)) >= 0:  # needs a word the core dropped
        score, where = _place(phrase, words, at, len(words))
        return score * KIND_FACTOR[kind], f"{where} '{asset.name}'", -1, False
    return None


def match_name(
    kind: str,
    phrase: tuple[str, ...],
    shown: str,
    asset: AssetProfile,
    plural_words: frozenset[str] = frozenset(),
    spans: bool = False,
) -> _NameMatch | None:
    if not asset.words:
        return None
    shape = asset.shape or plain_shape(asset.words)
    found = _locate(kind, phrase, asset, shape, spans)
    if found is None:
        return None
    score, where, at, whole = found
    what = {"name": "name", "synonym": "synonym", "abbreviation": "abbreviation"}.get(kind, kind)
    said = f"{what} '{shown}'"
    core = shape.core
    modifiers = core[:at] if at > 0 else ()
    last = (at if at >= 0 else 0) + len(phrase) - 1
    plural = at >= 0 and last < len(core) and shape.plural[last] and core[last] == phrase[-1]
    start = max(at, 0)
    counted = any(not start <= i <= last for i in shape.counts)  # a count word besides it
    if asset.type == "column" and (counted or (plural and phrase[-1] not in plural_words)):
        # "orders", "active_customers", "order_count": a number of orders is not an order
        reason = f"{said} is counted by '{asset.name}' ({where})"
        return _NameMatch(score * COUNT_FACTOR, phrase, False, reason, modifiers)
    if shape.flag and "".join(phrase) != "".join(core):
        reason = f"{said} is what the flag '{asset.name}' is about ({where})"
        return _NameMatch(score * FLAG_FACTOR, phrase, False, reason, modifiers)
    return _NameMatch(score, phrase, whole, f"{said} {where}", modifiers)


def best_name_match(term: TermProfile, asset: AssetProfile) -> _NameMatch | None:
    found = []
    why = dict(term.inferred)
    for kind, phrase, shown in term.phrases():
        m = match_name(kind, phrase, shown, asset, term.plural_words, phrase in term.spans)
        if m is None:
            continue
        if kind == "inferred synonym":
            m = replace(m, reason=f"{m.reason} ({why[phrase]})")
        n = len(phrase)
        if kind != "name" and n < len(term.name) and term.name[-n:] == phrase:
            m = _NameMatch(m.confidence, m.phrase, m.exact, m.reason, m.modifiers, True)
        found.append(m)
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
        core = asset.shape.core if asset.shape else ()
        for w in {*asset.words, *core}:
            by_word.setdefault(w, set()).add(asset.id)
        by_compact.setdefault("".join(asset.words), set()).add(asset.id)
        if core:
            by_compact.setdefault("".join(core), set()).add(asset.id)
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


def _written(term: TermProfile) -> list[tuple[tuple[str, ...], str]]:
    """The term's name and synonyms (not abbreviations) with their text as written."""
    return [(p, text) for kind, p, text in term.phrases() if kind in ("name", "synonym")]


def broaden(terms: list[TermProfile]) -> list[TermProfile]:
    """Terms with synonyms inferred from the glossary itself (reasons say from where):

    * **parallel heads** - two phrases of one term that differ only in their last word
      (``Net Revenue`` / ``Net Sales``) make those words stand for each other at the end of
      any term's phrase (*Revenue* is also ``Sales``);
    * **parent synonyms** - a term whose phrase contains an ancestor's name (``Customer
      Status`` under *Customer*) may use the ancestor's synonyms there (``Client Status``).

    An inferred phrase that is already a phrase of a (defined) term is not added."""
    by_id = {t.id: t for t in terms}
    taken = {p for t in terms if t.defined for _, p, _ in t.phrases()}
    heads: dict[str, dict[str, tuple[str, bool]]] = {}  # word -> {equivalent: (why, plural)}
    for t in terms:
        written = _written(t)
        for a, text_a in written:
            for b, text_b in written:
                if len(a) == len(b) >= 2 and a[:-1] == b[:-1] and a[-1] != b[-1]:
                    why = f"'{text_b}' is to '{text_a}' in '{t.path}'"
                    heads.setdefault(a[-1], {}).setdefault(b[-1], (why, b[-1] in t.plural_words))
    out = []
    for t in terms:
        own = {p for _, p, _ in t.phrases()}
        extra: dict[tuple[str, ...], str] = {}
        plural = set(t.plural_words)
        for p, _ in _written(t):
            for word, (why, is_plural) in heads.get(p[-1], {}).items():
                new = (*p[:-1], word)
                if word not in p[:-1] and new not in own and new not in taken:
                    extra.setdefault(new, why)
                    if is_plural:
                        plural.add(word)
            ancestor = by_id.get(t.parent_id) if t.parent_id is not None else None
            while ancestor is not None:
                at = _find(ancestor.name, p) if ancestor.defined else -1
                if at >= 0:
                    for alt, alt_text in _written(ancestor)[1:]:
                        new = (*p[:at], *alt, *p[at + len(ancestor.name) :])
                        if new not in own and new not in taken:
                            extra.setdefault(new, f"'{alt_text}' for '{ancestor.path}'")
                ancestor = by_id.get(ancestor.parent_id) if ancestor.parent_id else None
        if extra:
            t = replace(t, inferred=tuple(extra.items()), plural_words=frozenset(plural))
        out.append(t)
    return out


def _families(terms: list[TermProfile]) -> dict[int, frozenset[str]]:
    """Per term whose parent is a defined term (an entity such as *Customer*, not a mere
    grouping such as *Sales*), the words of
    that parent, its descendants and its related terms: what a column's owner must mention
    for the term (*Customer/Email Address*) to be about it."""
    by_id = {t.id: t for t in terms}
    children: dict[int, list[int]] = {}
    for t in terms:
        if t.parent_id is not None:
            children.setdefault(t.parent_id, []).append(t.id)
    cache: dict[int, frozenset[str]] = {}

    def words_of(parent: TermProfile) -> frozenset[str]:
        if parent.id not in cache:
            ids, todo = {parent.id}, [parent.id]
            while todo:
                for child in children.get(todo.pop(), []):
                    if child not in ids:
                        ids.add(child)
                        todo.append(child)
            named = {w for i in parent.related if i in by_id for w in by_id[i].name}
            cache[parent.id] = frozenset(
                named | {w for i in ids if i in by_id for w in by_id[i].words()}
            )
        return cache[parent.id]

    out: dict[int, frozenset[str]] = {}
    for t in terms:
        parent = by_id.get(t.parent_id) if t.parent_id is not None else None
        if parent is not None and parent.defined:
            out[t.id] = words_of(parent)
    return out


def _foreign_owner(
    term: TermProfile, asset: AssetProfile, match: _NameMatch | None, family: frozenset[str]
) -> str | None:
    """Whose the column is, when that is not the term's parent (nor one of its relatives).

    A short synonym that is only the head of the term's name (``Name`` for *Full Name*) with
    other words before it (``product_name``, ``first_name``) names another thing's attribute;
    a classification (``PII.Email``) or a name says what kind of value a column holds, and its
    own words and its table's (``raw_suppliers.contact_email``) say whose."""
    if match is not None and match.hypernym and match.modifiers:
        owner = match.modifiers
    elif asset.type != "column":
        return None
    elif (match is not None and match.hypernym) or term.classifications:
        owner = (*(match.modifiers if match else ()), *asset.table)
    else:
        return None
    if not owner or set(owner) & family:
        return None
    return " ".join(owner)


def suggest_links(
    terms: Iterable[TermProfile],
    assets: Iterable[AssetProfile],
    similarity: Mapping[tuple[int, int], float] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    skip: Iterable[tuple[int, int]] = (),
) -> list[LinkSuggestion]:
    """Suggestions at or above ``threshold``, best first; ``skip`` pairs (term id, asset id)
    are never suggested (already linked, or rejected by a person). A term without a
    definition, synonyms, abbreviations or classifications that only groups others
    (``/Sales``, created by an import as the ancestor of ``/Sales/Order``) is never
    suggested."""
    similarity = similarity or {}
    term_list = broaden(list(terms))
    by_id = {a.id: a for a in assets}
    skipped = set(skip)
    grouping = {t.parent_id for t in term_list}
    families = _families(term_list)
    candidates = _candidates(term_list, by_id, similarity)
    names: dict[int, dict[int, _NameMatch]] = {}  # asset -> term -> match
    other: dict[tuple[int, int], list[tuple[float, str]]] = {}
    owners: dict[tuple[int, int], tuple[str, str]] = {}
    for term in term_list:
        if not term.defined and term.id in grouping:
            continue
        for asset_id in candidates.get(term.id, ()):
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
                family = families.get(term.id)
                if family is not None and (owner := _foreign_owner(term, asset, match, family)):
                    parent = term.path.rsplit("/", 2)[-2] if term.path.count("/") > 1 else ""
                    owners[(term.id, asset_id)] = (owner, parent)
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
        reasons = [r for _, r in sorted(items, key=lambda x: -x[0])]
        if owner_of := owners.get((term_id, asset_id)):
            confidence = round(confidence * FOREIGN_OWNER_FACTOR, 4)
            reasons.append(f"but '{owner_of[0]}' is not about '{owner_of[1]}'")
        if confidence >= threshold:
            out.append(LinkSuggestion(term_id, asset_id, confidence, tuple(reasons)))
    out.sort(key=lambda s: (-s.confidence, s.term_id, s.asset_id))
    return out


def _less_specific(match: _NameMatch, rivals: Iterable[_NameMatch]) -> bool:
    """Another term matched a longer phrase containing this one."""
    return any(
        len(r.phrase) > len(match.phrase) and _find(match.phrase, r.phrase) >= 0 for r in rivals
    )
