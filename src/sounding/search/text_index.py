"""The keyword side: a tantivy index in one directory, fed pre-analysed terms.

Terms come from :mod:`sounding.search.analysis` and reach tantivy joined by spaces
(``whitespace`` tokenizer), so tantivy and the oracle agree on what a word is. Filter and
facet fields are raw fast fields; ``boost`` is the per-document factor tantivy multiplies
scores by (``weight_by_field``); the stored ``payload`` is all a hit needs.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from sounding.domain.search import FACET_FIELDS, SearchDocument
from sounding.errors import StoreError
from sounding.search.analysis import normalize_exact, prefixes
from sounding.search.documents import (
    facet_values,
    payload,
    read_payload,
    text_fields,
    vector_key,
)
from sounding.search.ranking import RankingConfig, document_boost, weight_field_value

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("name", "qualified_name", "labels", "description", "people", "columns")
NO_QUALITY = -1.0
# the open index of each directory whose writer this process holds (gone with the index):
# tantivy's lock file says only that *someone* holds the directory, this says whether it is us
_IN_PROCESS: weakref.WeakValueDictionary[Path, TextIndex] = weakref.WeakValueDictionary()
_IN_PROCESS_LOCK = threading.Lock()
Q = tantivy.Query
MUST = tantivy.Occur.Must
PAYLOAD_CACHE = 5_000  # decoded payloads kept per snapshot (a few KB each at most)


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", tokenizer_name="raw", index_option="basic")
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("name_prefix", tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("name_exact", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("qname_exact", tokenizer_name="raw", index_option="basic")
    for name in FACET_FIELDS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field("display", tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_float_field("boost", fast=True)
    sb.add_float_field("quality", indexed=True, fast=True)
    sb.add_boolean_field("deleted", indexed=True, fast=True)
    sb.add_unsigned_field("vkey", indexed=True, fast=True)
    sb.add_bytes_field("payload", stored=True)
    sb.add_tie_breaker_field("seq")
    return sb.build()


def to_json(doc: SearchDocument, config: RankingConfig) -> str:
    """The document as tantivy's ``add_json`` wants it."""
    data: dict[str, Any] = {
        "key": doc.urn,
        "name_exact": normalize_exact(doc.name),
        "qname_exact": normalize_exact(doc.qualified_name),
        "display": doc.name,
        "boost": weight_field_value(document_boost(doc, config)),
        "quality": NO_QUALITY if doc.quality is None else float(doc.quality),
        "deleted": doc.deleted,
        "vkey": vector_key(doc.urn),
        "payload": base64.b64encode(payload(doc)).decode("ascii"),
    }
    fields = text_fields(doc)
    for name, terms in fields.items():
        if terms:
            data[name] = " ".join(terms)
    if fields["name"]:
        data["name_prefix"] = " ".join(prefixes(fields["name"]))
    for name, values in facet_values(doc).items():
        if values:
            data[name] = values
    return json.dumps(data, ensure_ascii=False)


class TextIndex:
    """One tantivy index; one writer, searchers refreshed on commit."""

    def __init__(
        self, path: Path, config: RankingConfig, *, threads: int = 1, heap_mb: int = 128
    ) -> None:
        self.config = config
        self._heap_mb, self._threads = heap_mb, threads
        self.schema = build_schema()
        path.mkdir(parents=True, exist_ok=True)
        self._path = path.resolve()
        with _IN_PROCESS_LOCK:
            try:
                self._index = tantivy.Index(self.schema, path=str(path))
                self._writer = self._index.writer(
                    heap_size=heap_mb * 1_000_000, num_threads=threads
                )
            except ValueError as exc:
                if "LockBusy" in str(exc) and self._path in _IN_PROCESS:
                    raise StoreError(
                        f"The search index in {path} is already open in this process: "
                        "share that one (sounding.services.search opens one per process)"
                    ) from exc
                if "LockBusy" in str(exc):
                    raise StoreError(
                        f"The search index in {path} is in use by another Sounding process "
                        "(a running server?): search through its API (GET /api/v1/search), "
                        "or stop it first"
                    ) from exc
                raise StoreError(f"Failed to open the search index in {path}: {exc}") from exc
            _IN_PROCESS[self._path] = self
        self._lock = threading.Lock()
        self._searcher = self._index.searcher()
        self._decoded = _Payloads(self._searcher)

    @property
    def searcher(self) -> tantivy.Searcher:
        return self._searcher

    def add(self, docs: Iterable[SearchDocument], *, replace: bool = True) -> int:
        """Index documents (replacing any with the same URN unless ``replace`` is False,
        which only a build into an empty index may use)."""
        n = 0
        with self._lock:
            for doc in docs:
                if replace:
                    self._writer.delete_documents_by_term("key", doc.urn)
                self._writer.add_json(to_json(doc, self.config))
                n += 1
        return n

    def delete(self, urns: Iterable[str]) -> None:
        with self._lock:
            for urn in urns:
                self._writer.delete_documents_by_term("key", urn)

    def commit(self) -> None:
        with self._lock:
            self._writer.commit()
            self._index.reload()
            self._searcher = self._index.searcher()
            self._decoded = _Payloads(self._searcher)

    def wait_merges(self, *, reopen: bool = True) -> None:
        """Finish background merges; the writer (and its directory lock) is released and,
        unless closing, taken again."""
        with self._lock:
            self._writer.wait_merging_threads()
            if reopen:
                self._writer = self._index.writer(
                    heap_size=self._heap_mb * 1_000_000, num_threads=self._threads
                )

    def close(self) -> None:
        """Commit and release the directory lock; the index cannot be written any more."""
        try:
            self.commit()
            self.wait_merges(reopen=False)
        finally:
            with _IN_PROCESS_LOCK:
                if _IN_PROCESS.get(self._path) is self:
                    del _IN_PROCESS[self._path]

    def delete_all(self) -> None:
        with self._lock:
            self._writer.delete_all_documents()

    def __len__(self) -> int:
        return int(self._searcher.num_docs)

    # --- reading -----------------------------------------------------------------------

    def top(
        self,
        query: tantivy.Query,
        limit: int,
        *,
        count: bool = True,
        searcher: tantivy.Searcher | None = None,
    ) -> tuple[list[tuple[float, dict[str, Any]]], int]:
        """The best ``limit`` documents (score, payload) and how many matched, from
        ``searcher`` (a snapshot taken earlier) or the newest one."""
        searcher = searcher or self._searcher
        limit = _top_k(limit, searcher)
        result = searcher.search(query, limit, count=count, weight_by_field="boost")
        read = self._payload_reader(searcher)
        hits = [(float(score), read(addr)) for score, addr in result.hits]
        # ``count`` is missing from tantivy's type stubs
        return hits, int(getattr(result, "count", None) or 0)

    def payloads(
        self, query: tantivy.Query, limit: int, searcher: tantivy.Searcher | None = None
    ) -> dict[int, dict[str, Any]]:
        """Payloads of the matching documents, by vector key."""
        searcher = searcher or self._searcher
        result = searcher.search(query, _top_k(limit, searcher), count=False)
        addrs = [addr for _, addr in result.hits]
        keys = searcher.fast_field_values("vkey", addrs) if addrs else []
        read = self._payload_reader(searcher)
        return {int(k): read(a) for k, a in zip(keys, addrs, strict=True) if k is not None}

    def _payload_reader(self, searcher: tantivy.Searcher) -> Callable[[Any], dict[str, Any]]:
        """Reads a document's payload: through the current snapshot's decoded payloads when
        ``searcher`` is that snapshot, else straight from ``searcher``."""
        decoded = self._decoded
        if decoded.searcher is searcher:
            return decoded.get
        return lambda addr: read_payload(searcher.doc(addr)["payload"][0])

    def facets(self, query: tantivy.Query, size: int) -> dict[str, dict[str, int]]:
        return self.count_and_facets(query, size)[1]

    def count_and_facets(
        self,
        query: tantivy.Query,
        size: int,
        *,
        facets: bool = True,
        searcher: tantivy.Searcher | None = None,
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """How many documents match and, if asked, their facet counts: one pass."""
        spec: dict[str, Any] = {"n": {"value_count": {"field": "boost"}}}
        if facets:
            spec |= {f: {"terms": {"field": f, "size": size}} for f in FACET_FIELDS}
        raw = (searcher or self._searcher).aggregate(query, spec)
        counts = {
            f: {str(b["key"]): int(b["doc_count"]) for b in raw.get(f, {}).get("buckets", [])}
            for f in FACET_FIELDS
        }
        return int(raw.get("n", {}).get("value") or 0), counts if facets else {}

    def display_names(self) -> list[tuple[str, dict[str, int]]]:
        """Every distinct live document name with its count per type (rebuilds the
        suggestions). Read from the term dictionary, one pass per type: a terms aggregation
        would stop at tantivy's 65,000-bucket limit."""
        live = self._live_query()
        types = self._searcher.aggregate(live, {"t": {"terms": {"field": "type", "size": 64}}})
        names: dict[str, dict[str, int]] = {}
        for bucket in types.get("t", {}).get("buckets", []):
            doc_type = str(bucket["key"])
            of_type = Q.boolean_query(
                [(MUST, live), (MUST, Q.term_query(self.schema, "type", doc_type))]
            )
            for name, count in self._searcher.terms_with_prefix("display", "", of_type):
                names.setdefault(name, {})[doc_type] = int(count)
        return list(names.items())

    def existing(self, urns: Sequence[str]) -> list[dict[str, Any]]:
        """Payloads of the indexed documents among ``urns``."""
        if not urns:
            return []
        query = tantivy.Query.term_set_query(self.schema, "key", list(urns))
        hits, _ = self.top(query, len(urns), count=False)
        return [p for _, p in hits]

    def _live_query(self) -> tantivy.Query:
        return Q.term_query(self.schema, "deleted", False)


def _top_k(limit: int, searcher: tantivy.Searcher) -> int:
    """The index pre-allocates ``limit`` slots for its top-k heap: never more than the number
    of documents it holds (a caller's deep page must not become a huge allocation)."""
    return max(1, min(limit, int(searcher.num_docs)))


class _Payloads:
    """Decoded payloads of one searcher snapshot, by document address, the most recently used
    ``PAYLOAD_CACHE`` of them. A snapshot never changes, so an entry is never stale; a commit
    starts a new snapshot with an empty cache. Fetching and decoding the stored payloads of
    every candidate was a search's largest cost under load (issue 20). Callers only read the
    payloads they get."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher
        self._items: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, addr: Any) -> dict[str, Any]:
        key = (int(addr.segment_ord), int(addr.doc))
        found = self._items.get(key)
        if found is not None:
            return found
        payload = read_payload(self.searcher.doc(addr)["payload"][0])
        with self._lock:
            self._items[key] = payload
            while len(self._items) > PAYLOAD_CACHE:
                self._items.popitem(last=False)
        return payload
