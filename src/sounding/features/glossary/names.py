"""How an asset's name is built, as far as glossary matching cares.

A name such as ``lifetime_revenue_usd``, ``months_since_first_order`` or ``mart_order_summary``
is read as English compound: a **core** (what the thing is: ``lifetime revenue``), words that
only say how it is expressed (``usd``, ``masked``, ``7d avg``) or that it is a report about
something (``summary``, ``performance``, ``list``), and a **qualifier** after a preposition
(``since first order``, ``in department``, ``by category``) that says which or whose, not what.
Short forms common in column names are read as the words they stand for (``cust_addr`` is
``customer address``). It also notes whether the core ends in a plural the way a count does
(``orders``, ``active_customers``), carries a count word (``order_count``, ``num_orders``),
or is a flag about something (``is_duplicate_email``).

Words come in as ``(word, stem)`` pairs from the caller, ``stem`` ``None`` for a stop word, so
this module agrees with the search analyzer without importing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# word lists as text: one quoted word a line would make them long
LAYER_PREFIXES = frozenset(
    "raw stg staging int intermediate mart marts dim fct fact tmp temp src base vw v".split()  # noqa: SIM905
)
# a table or view named "<subject> <one of these>" is a report about the subject
REPORT_WORDS = frozenset(
    """summary summaries performance health snapshot snapshots history histories report
    reports stats statistics metrics kpi kpis overview list lists qry query view vw v log logs
    extract export feed""".split()  # noqa: SIM905
)
# trailing words that say how a value is expressed, not what it is
UNIT_WORDS = frozenset(
    """usd eur gbp jpy chf cad aud cny inr sek nok dkk pln brl mxn cents dollars euros
    kg kgs g gram grams kilogram kilograms lb lbs oz ton tons tonnes km m cm mm mi ft meter
    meters metre metres ml l liter liters litre litres kb mb gb tb ms msec usec ns sec secs
    pct percent""".split()  # noqa: SIM905
)
STATE_WORDS = frozenset(
    """masked hashed hash encrypted enc redacted tokenized tokenised anonymized anonymised
    pseudonymized pseudonymised clean cleaned normalized normalised norm formatted fmt raw
    local utc""".split()  # noqa: SIM905
)
AGGREGATE_WORDS = frozenset(
    "avg mean median sum min max rolling trailing d w h y mtd ytd qtd wtd".split()  # noqa: SIM905
)
PREPOSITIONS = frozenset(
    """of by for in on per since to from above below over under until before after at
    within without vs versus via across between than""".split()  # noqa: SIM905
)
# short forms common in column names, read as the word they stand for (only whole words;
# ambiguous ones such as "desc" (description or descending) and "no" are left alone)
SHORT_FORMS = {
    "num": "number",
    "nbr": "number",
    "qty": "quantity",
    "amt": "amount",
    "addr": "address",
    "cust": "customer",
    "avg": "average",
    "cnt": "count",
    "tel": "telephone",
    "acct": "account",
    "txn": "transaction",
    "dt": "date",
    "ts": "timestamp",
    "mgr": "manager",
    "emp": "employee",
    "dept": "department",
    "msg": "message",
    "org": "organization",
    "qry": "query",
}
COUNT_WORDS = frozenset("count counts cnt num nb n".split())  # noqa: SIM905
FLAG_WORDS = frozenset("is has was were can should did does".split())  # noqa: SIM905


@dataclass(frozen=True, slots=True)
class NameShape:
    """``core``: words that say what the asset is, ``head_end``: where a prepositional
    qualifier starts in ``core`` (``len(core)`` when none), ``plural``: per core word, whether
    it was written in the plural, ``dropped``: the words left out of ``core``, ``flag``: the
    name starts like a flag (``is_``, ``has_``)."""

    core: tuple[str, ...]
    head_end: int
    plural: tuple[bool, ...]
    dropped: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()  # positions in ``core`` of count words (``order_count``)
    flag: bool = False


def _trailing(words: list[tuple[str, str, bool]], drop: frozenset[str]) -> list[str]:
    """Pop words in ``drop`` (or numbers) off the end while a word would remain."""
    out: list[str] = []
    while len(words) > 1 and (words[-1][0] in drop or words[-1][0].isdigit()):
        out.insert(0, words.pop()[0])
    return out


def shape_name(tokens: Sequence[tuple[str, str | None]], obj: bool) -> NameShape:
    """The shape of a name given as ``(word, stem or None)`` pairs; ``obj`` for a table, view
    or dataset (layer prefixes and report words dropped) rather than a column."""
    flag = bool(tokens) and tokens[0][0] in FLAG_WORDS and not obj
    kept: list[tuple[str, str, bool]] = []  # (raw, stem, starts a qualifier)
    dropped: list[str] = []
    pending = False
    for raw, stemmed in tokens:
        if raw in PREPOSITIONS:
            # "list of products": the report word goes, its complement is the subject
            if raw == "of" and obj and kept and kept[-1][0] in REPORT_WORDS:
                dropped.append(kept.pop()[0])
            elif kept:
                pending = True
            continue
        if stemmed is None:
            continue
        kept.append((raw, stemmed, pending))
        pending = False
    if obj:
        while len(kept) > 1 and kept[0][0] in LAYER_PREFIXES:
            dropped.append(kept.pop(0)[0])
        dropped += _trailing(kept, REPORT_WORDS)
        while len(kept) > 1 and kept[0][0] in REPORT_WORDS and not kept[1][2]:
            dropped.append(kept.pop(0)[0])
    else:
        dropped += _trailing(kept, UNIT_WORDS | STATE_WORDS | AGGREGATE_WORDS)
    counts = tuple(i for i, (raw, _, _) in enumerate(kept) if raw in COUNT_WORDS)
    head_end = next((i for i, (_, _, q) in enumerate(kept) if q and i > 0), len(kept))
    return NameShape(
        core=tuple(SHORT_FORMS.get(raw, s) for raw, s, _ in kept),
        head_end=head_end,
        plural=tuple(raw != s for raw, s, _ in kept),
        dropped=tuple(dropped),
        counts=counts if not obj and len(kept) > 1 else (),
        flag=flag,
    )


def plain_shape(words: tuple[str, ...]) -> NameShape:
    """The shape of a name nothing is known about: all core, no qualifier."""
    return NameShape(words, len(words), (False,) * len(words))
