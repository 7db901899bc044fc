"""Completions for the search box: asset names, glossary terms and recent queries.

Every distinct name is filed under the start of each of its words (``raw_customers`` under
``raw_customers``, ``raw customers`` and ``customers``), in one sorted list searched by
bisection; additions wait in a small unsorted side list until it is merged. A completion
that starts the whole name ranks above one that starts a later word; then names shared by
more (and more important) documents first; then shorter ones.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sounding.domain.search import GLOSSARY_TERM, Suggestion, SuggestionKind
from sounding.search.analysis import fold, split_words

TYPE_WEIGHTS = {
    "table": 3.0,
    "view": 3.0,
    "dataset": 3.0,
    GLOSSARY_TERM: 3.0,
    "schema": 2.0,
    "database": 2.0,
    "source": 2.0,
    "column": 1.0,
}
_SEP = "\x00"
_MAX_PENDING = 4096
_MAX_SCAN = 20_000


@dataclass(slots=True)
class _Entry:
    display: str
    types: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.types.values())

    @property
    def weight(self) -> float:
        return sum(TYPE_WEIGHTS.get(t, 1.0) * n for t, n in self.types.items())

    @property
    def main_type(self) -> str:
        return max(self.types.items(), key=lambda kv: (TYPE_WEIGHTS.get(kv[0], 1.0), kv[1]))[0]


def _rows(display: str, ekey: str) -> list[str]:
    """Sorted-list rows for a name: ``key \0 whole \0 entry``; ``whole`` is 1 for keys
    that start the name."""
    words = split_words(display)
    keys = {ekey: "1", " ".join(words): "1"}
    for i in range(1, len(words)):
        keys.setdefault(" ".join(words[i:]), "0")
    return [f"{k}{_SEP}{w}{_SEP}{ekey}" for k, w in keys.items() if k]


class SuggestIndex:
    """In-memory completion index; thread-safe."""

    def __init__(self, max_queries: int = 1000) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._sorted: list[str] = []  # rows from _rows(), sorted
        self._pending: list[str] = []
        self._queries: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._max_queries = max_queries

    def load(self, names: Iterable[tuple[str, Mapping[str, int]]]) -> None:
        """Replace everything with ``(name, {type: count})`` pairs."""
        with self._lock:
            self._entries = {}
            rows: list[str] = []
            for display, types in names:
                ekey = fold(display)
                entry = self._entries.setdefault(ekey, _Entry(display))
                for t, n in types.items():
                    entry.types[t] = entry.types.get(t, 0) + n
                rows.extend(_rows(display, ekey))
            self._sorted = sorted(set(rows))
            self._pending = []

    def add(self, display: str, doc_type: str) -> None:
        ekey = fold(display)
        with self._lock:
            entry = self._entries.get(ekey)
            if entry is None:
                entry = self._entries[ekey] = _Entry(display)
                self._pending.extend(_rows(display, ekey))
                if len(self._pending) > _MAX_PENDING:
                    self._merge()
            entry.types[doc_type] = entry.types.get(doc_type, 0) + 1

    def remove(self, display: str, doc_type: str) -> None:
        ekey = fold(display)
        with self._lock:
            entry = self._entries.get(ekey)
            if entry is None or doc_type not in entry.types:
                return
            entry.types[doc_type] -= 1
            if entry.types[doc_type] <= 0:
                del entry.types[doc_type]
            if not entry.types:
                del self._entries[ekey]  # its keys go stale; skipped, dropped on merge

    def record_query(self, text: str) -> None:
        """Remember a search people ran (bounded, least recent forgotten first)."""
        text = " ".join(text.split())
        if not text:
            return
        key = fold(text)
        with self._lock:
            _, count = self._queries.pop(key, (text, 0))
            self._queries[key] = (text, count + 1)
            while len(self._queries) > self._max_queries:
                self._queries.popitem(last=False)

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        text = " ".join(prefix.split())
        if not text or limit <= 0:
            return []
        probes = {fold(text), " ".join(split_words(text))} - {""}
        with self._lock:
            found = self._candidates(probes)
            recent = self._recent(probes, max(1, limit // 3))
            ranked = heapq.nsmallest(
                limit - len(recent),
                found.items(),
                key=lambda kv: (-kv[1], -self._entries[kv[0]].weight, len(kv[0])),
            )
            out: list[Suggestion] = []
            for ekey, _whole in ranked:
                entry = self._entries[ekey]
                main = entry.main_type
                kind = SuggestionKind.TERM if main == GLOSSARY_TERM else SuggestionKind.ASSET
                out.append(Suggestion(entry.display, kind, main, count=entry.count))
        return out + recent

    # --- internals (lock held) -----------------------------------------------------------

    def _candidates(self, probes: set[str]) -> dict[str, int]:
        """Entry key -> 1 when a probe starts the whole name, else 0."""
        found: dict[str, int] = {}
        for probe in probes:
            lo = bisect.bisect_left(self._sorted, probe)
            hi = bisect.bisect_left(self._sorted, probe + "\uffff", lo)
            rows = self._sorted[lo : min(hi, lo + _MAX_SCAN)]
            rows += [r for r in self._pending if r.startswith(probe)]
            for row in rows:
                _key, whole, ekey = row.split(_SEP)
                if ekey in self._entries and found.get(ekey, -1) < int(whole):
                    found[ekey] = int(whole)
        return found

    def _recent(self, probes: set[str], limit: int) -> list[Suggestion]:
        hits = [
            (count, text)
            for key, (text, count) in self._queries.items()
            if any(key.startswith(p) for p in probes)
        ]
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [Suggestion(text, SuggestionKind.QUERY, count=n) for n, text in hits[:limit]]

    def _merge(self) -> None:
        live = [r for r in self._sorted if r.rpartition(_SEP)[2] in self._entries]
        self._sorted = sorted(set(live + self._pending))
        self._pending = []
