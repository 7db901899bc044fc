"""The embedded search engine: tantivy for words, usearch for meaning, fused at query time.

Layout of its directory::

    meta.json      format version and embedding model; a mismatch discards the index
    text/          the tantivy index
    vectors/       usearch snapshot + append-only log

See :mod:`sounding.search.ranking` for how results are ordered.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sounding.domain.search import (
    SearchDocument,
    SearchFilters,
    SearchMode,
    SearchPage,
    SearchQuery,
    Suggestion,
)
from sounding.search import queries
from sounding.search.analysis import looks_like_identifier, query_terms, query_words, split_words
from sounding.search.documents import embedding_segments, vector_key
from sounding.search.embeddings import Embedder, StaticEmbedder, load_embedder, normalize
from sounding.search.explain import build_hit, is_exact, names_cover
from sounding.search.ranking import RankingConfig, rrf_fuse
from sounding.search.suggest import SuggestIndex
from sounding.search.text_index import TextIndex
from sounding.search.vectors import VectorIndex

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: the term facet; 3: the property facet
BATCH = 4096
PAGE_CACHE = 256  # answered pages kept per text snapshot (a page is a few KB)


class _Pages:
    """Pages answered from one text snapshot, the most recently used ``PAGE_CACHE`` of them
    by query (issue 20: a catalog's searches repeat: the search box, saved links, API
    clients polling). A page is a function of the query and the index, and every change
    reaches the index through a commit, which starts a new snapshot and so a new, empty
    cache: an entry is never served after a write was applied."""

    def __init__(self, searcher: object) -> None:
        self.searcher = searcher
        self._items: OrderedDict[SearchQuery, SearchPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: SearchQuery) -> SearchPage | None:
        with self._lock:
            found = self._items.get(query)
            if found is not None:
                self._items.move_to_end(query)
            return found

    def put(self, query: SearchQuery, page: SearchPage) -> None:
        with self._lock:
            self._items[query] = page
            while len(self._items) > PAGE_CACHE:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


Payload = dict[str, Any]


class SearchEngine:
    """Implements :class:`sounding.search.index.SearchIndex`."""

    def __init__(
        self,
        directory: Path,
        *,
        embedder: Embedder | str | None = "static",
        config: RankingConfig | None = None,
        threads: int = 1,
    ) -> None:
        self.directory = directory
        self.config = config or RankingConfig()
        self.embedder = load_embedder(embedder) if isinstance(embedder, str) else embedder
        self.needs_rebuild = self._check_format()
        self._write_lock = threading.Lock()
        self.text = TextIndex(directory / "text", self.config, threads=threads)
        self.vectors = (
            VectorIndex(directory / "vectors", self.embedder.dims, threads=threads)
            if self.embedder
            else None
        )
        self._suggest = SuggestIndex()
        self._suggest_loaded = False
        self._uncommitted: dict[str, tuple[str, str] | None] = {}  # urn -> live (name, type)
        self._closed = False
        # a query's total and facets are counted on this thread while the calling thread
        # ranks the top hits: tantivy releases the GIL, so the two passes overlap
        self._counter = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-count")
        self._pages = _Pages(self.text.searcher)

    # --- writing -----------------------------------------------------------------------

    def apply(self, upserts: Sequence[SearchDocument] = (), deletes: Sequence[str] = ()) -> None:
        with self._write_lock:
            self._forget_names([*(d.urn for d in upserts), *deletes])
            self.text.delete(deletes)
            self.text.add(upserts)
            self._embed(upserts)
            if self.vectors is not None and deletes:
                self.vectors.remove(np.asarray([vector_key(u) for u in deletes], np.uint64))
            for urn in deletes:
                self._uncommitted[urn] = None
            for doc in upserts:
                live = None if doc.deleted else (doc.name, doc.type)
                self._uncommitted[doc.urn] = live
                if self._suggest_loaded and live:
                    self._suggest.add(*live)

    def commit(self) -> None:
        with self._write_lock:
            self.text.commit()
            if self.vectors is not None:
                self.vectors.commit()
            self._uncommitted.clear()

    def rebuild(self, docs: Iterable[SearchDocument]) -> int:
        """Replace everything with ``docs``. The vector graph is built by a second thread
        while this one analyses and embeds the next batch (usearch releases the GIL)."""
        with self._write_lock:
            (self.directory / "meta.json").unlink(missing_ok=True)  # until this completes
            self.needs_rebuild = True
            self.text.delete_all()
            vectors = self.vectors
            if vectors is not None:
                vectors.clear()
            work: queue.Queue[tuple[NDArray[np.uint64], NDArray[np.float32], bool] | None]
            work = queue.Queue(maxsize=4)
            failure: list[BaseException] = []

            def build_graph() -> None:
                while (item := work.get()) is not None:
                    if vectors is not None and not failure:
                        try:
                            vectors.upsert(item[0], item[1], bulk=item[2])
                        except BaseException as exc:  # re-raised by the caller below
                            failure.append(exc)

            worker = threading.Thread(target=build_graph, name="search-vectors", daemon=True)
            worker.start()
            total = 0
            seen: set[int] = set()  # a repeated URN replaces the earlier document
            try:
                it = iter(docs)
                while batch := list(islice(it, BATCH)):
                    latest = {vector_key(d.urn): d for d in batch}
                    again = [d for k, d in latest.items() if k in seen]
                    fresh = [d for k, d in latest.items() if k not in seen]
                    seen.update(latest)
                    self.text.add(fresh, replace=False)
                    self.text.add(again)
                    for group, bulk in ((fresh, True), (again, False)):
                        if vectors is not None and group:
                            keys = np.asarray([vector_key(d.urn) for d in group], np.uint64)
                            work.put((keys, self.document_vectors(group), bulk))
                    total += len(fresh)
            finally:
                work.put(None)
                worker.join()
            if failure:
                raise failure[0]
            self.text.commit()
            if vectors is not None:
                vectors.commit(snapshot=True)
            self._suggest_loaded = False
            self._uncommitted.clear()
            self.needs_rebuild = False
            self._write_meta()
        return total

    def _embed(self, docs: Sequence[SearchDocument]) -> None:
        if self.vectors is None or not docs:
            return
        keys = np.asarray([vector_key(d.urn) for d in docs], dtype=np.uint64)
        self.vectors.upsert(keys, self.document_vectors(docs))

    def document_vectors(self, docs: Sequence[SearchDocument]) -> NDArray[np.float32]:
        """Unit vectors of documents: name, labels, description and parent table read as
        one text, plus the table's columns at ``semantic_columns_weight``."""
        embedder = self.embedder
        assert embedder is not None
        segments = [embedding_segments(d) for d in docs]
        if isinstance(embedder, StaticEmbedder):
            # a static model's text vector is a sum of token vectors: embed each distinct
            # segment (column names, parent tables repeat) once and add the sums up
            slots: dict[str, int] = {"": 0}
            rows = np.asarray(
                [[slots.setdefault(t, len(slots)) for t in seg] for seg in segments],
                dtype=np.int64,
            )
            sums = embedder.token_sums(list(slots))
            primary = normalize(sums[rows[:, 0]] + sums[rows[:, 1]])
            columns = normalize(sums[rows[:, 2]])
        else:
            primary = embedder.embed([f"{a} {b}" for a, b, _ in segments])
            columns = embedder.embed([c for _, _, c in segments])
        return normalize(primary + self.config.semantic_columns_weight * columns)

    def _forget_names(self, urns: Sequence[str]) -> None:
        """Take the names of documents about to change out of the suggestions: as applied
        earlier in this commit, or else as committed."""
        if not self._suggest_loaded or not urns:
            return
        committed: list[str] = []
        for urn in urns:
            if urn in self._uncommitted:
                name = self._uncommitted.pop(urn)
                if name:
                    self._suggest.remove(*name)
            else:
                committed.append(urn)
        for start in range(0, len(committed), BATCH):
            for old in self.text.existing(committed[start : start + BATCH]):
                if not old.get("deleted"):
                    self._suggest.remove(str(old["name"]), str(old["type"]))

    # --- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.text)

    def record_query(self, text: str) -> None:
        self._suggest.record_query(text)

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        if not self._suggest_loaded:
            with self._write_lock:
                if not self._suggest_loaded:
                    self._load_suggestions()
        return self._suggest.suggest(prefix, limit)

    def _load_suggestions(self) -> None:
        """From the committed index, then what was applied since (lock held)."""
        self._suggest.load(self.text.display_names())
        self._suggest_loaded = True
        pending = [u for u, live in self._uncommitted.items() if live]
        gone = list(self._uncommitted)
        for old in self.text.existing(gone) if gone else []:
            if not old.get("deleted"):
                self._suggest.remove(str(old["name"]), str(old["type"]))
        for urn in pending:
            live = self._uncommitted[urn]
            if live:
                self._suggest.add(*live)

    def search(self, query: SearchQuery) -> SearchPage:
        """A page of results: from the cache of the current snapshot's pages when this query
        was answered on it already (see :class:`_Pages`)."""
        pages = self._pages
        searcher = self.text.searcher  # taken first: a page is never older than its key
        if pages.searcher is not searcher:
            pages = self._pages = _Pages(searcher)
        found = pages.get(query)
        if found is None:
            found = self._search(query)
            pages.put(query, found)
        return found

    def _search(self, query: SearchQuery) -> SearchPage:
        text = " ".join(query.text.split())
        terms = query_terms(text)
        mode = query.mode
        if not text or self.embedder is None or self.vectors is None or not len(self.vectors):
            mode = SearchMode.KEYWORD
        if mode == SearchMode.KEYWORD:
            return self._keyword(query, text, terms)
        if mode == SearchMode.SEMANTIC:
            return self._semantic_page(query, text, terms, self._semantic(text, query.filters))
        return self._hybrid(query, text, terms)

    def _keyword(self, query: SearchQuery, text: str, terms: list[str]) -> SearchPage:
        schema = self.text.schema
        words = query_words(text)
        kq = queries.keyword_query(schema, terms, text, query.filters, self.config, words)
        searcher = self.text.searcher  # both passes read the same snapshot
        counted = self._count(kq, query.facets, searcher)
        hits, _ = self.text.top(kq, query.offset + query.limit, count=False, searcher=searcher)
        items = tuple(
            build_hit(p, score, terms, text, self.config) for score, p in hits[query.offset :]
        )
        total, facets = counted.result()
        return SearchPage(items, total, facets)

    def _count(
        self, query: Any, facets: bool, searcher: Any
    ) -> Future[tuple[int, dict[str, dict[str, int]]]]:
        """Start counting ``query``'s matches (and its facets) on the counting thread."""
        return self._counter.submit(
            self.text.count_and_facets,
            query,
            self.config.facet_size,
            facets=facets,
            searcher=searcher,
        )

    def _semantic(
        self, text: str, filters: SearchFilters, searcher: Any = None
    ) -> list[tuple[float, Payload]]:
        """Documents close in meaning that pass the filters, most similar first."""
        assert self.embedder is not None and self.vectors is not None
        window = self.config.semantic_window
        vector = self.embedder.embed([" ".join(split_words(text))])[0]
        if not vector.any():
            return []
        restricted = filters.keyword_fields() or filters.missing or filters.deleted is not False
        wanted = window * (4 if restricted else 2)
        near = self.vectors.search(vector, wanted)
        if not near:
            return []
        schema = self.text.schema
        allowed = self.text.payloads(
            queries.keys_query(schema, [k for k, _ in near], filters), len(near), searcher
        )
        weights = self.config.type_weights
        found = [
            (s * weights.get(str(allowed[k]["type"]), 1.0), allowed[k])
            for k, s in near
            if k in allowed
        ]
        found = [f for f in found if f[0] >= self.config.semantic_min_similarity]
        found.sort(key=lambda f: -f[0])
        return found[:window]

    def _semantic_page(
        self,
        query: SearchQuery,
        text: str,
        terms: list[str],
        semantic: list[tuple[float, Payload]],
    ) -> SearchPage:
        page = semantic[query.offset : query.offset + query.limit]
        items = tuple(build_hit(p, sim, terms, text, self.config, semantic=True) for sim, p in page)
        facets: dict[str, dict[str, int]] = {}
        if query.facets and semantic:
            keys = [vector_key(str(p["urn"])) for _, p in semantic]
            kq = queries.keys_query(self.text.schema, keys, query.filters)
            facets = self.text.facets(kq, self.config.facet_size)
        return SearchPage(items, len(semantic), facets)

    def _hybrid(self, query: SearchQuery, text: str, terms: list[str]) -> SearchPage:
        """Fuse the keyword top ``window`` with the semantic list by reciprocal rank; keyword
        matches past the window follow in keyword order. Exact matches lead throughout.
        The order depends on the query alone, never on the page asked for.

        The counting thread finds the semantic list and then counts the union of both
        lists (total and facets) while this thread ranks the keyword matches."""
        schema, cfg = self.text.schema, self.config
        searcher = self.text.searcher
        words = query_words(text)
        scored = queries.text_query(schema, terms, text, cfg, words)
        filters = queries.filter_clauses(schema, query.filters)

        def semantic_and_count() -> tuple[
            list[tuple[float, Payload]], tuple[int, dict[str, dict[str, int]]]
        ]:
            semantic = self._semantic(text, query.filters, searcher)
            union = scored
            if semantic:
                keys = [vector_key(str(p["urn"])) for _, p in semantic]
                vq = queries.Q.term_set_query(schema, "vkey", keys)
                union = queries.Q.boolean_query([(queries.SHOULD, scored), (queries.SHOULD, vq)])
            counted = self.text.count_and_facets(
                queries.combine(union, filters),
                cfg.facet_size,
                facets=query.facets,
                searcher=searcher,
            )
            return semantic, counted

        pending = self._counter.submit(semantic_and_count)
        need = query.offset + query.limit
        window = cfg.semantic_window
        hits, _ = self.text.top(
            queries.combine(scored, filters), window + need, count=False, searcher=searcher
        )
        semantic, (total, facets) = pending.result()
        sem_weight = cfg.semantic_weight
        if looks_like_identifier(text) or (hits and names_cover(hits[0][1], words)):
            sem_weight *= cfg.lexical_semantic_share  # the words name a thing: trust them
        by_urn: dict[str, Payload] = {str(p["urn"]): p for _, p in hits}
        sem_urns = [str(p["urn"]) for _, p in semantic]
        by_urn.update((str(p["urn"]), p) for _, p in semantic)
        kw_urns = [str(p["urn"]) for _, p in hits]
        head = rrf_fuse([(kw_urns[:window], cfg.keyword_weight), (sem_urns, sem_weight)], cfg.rrf_k)
        tail = [u for u in kw_urns[window:] if u not in head]
        exact = {u for u in (*head, *tail) if is_exact(by_urn[u], text)}
        ranked = sorted(head, key=lambda u: -head[u])
        ordered = (
            [u for u in ranked if u in exact]
            + [u for u in tail if u in exact]
            + [u for u in ranked if u not in exact]
            + [u for u in tail if u not in exact]
        )
        rank_of = {u: i for i, u in enumerate(kw_urns)}
        sem_set = set(sem_urns)
        items = tuple(
            build_hit(
                by_urn[u],
                head.get(u) or cfg.keyword_weight / (cfg.rrf_k + rank_of[u] + 1),
                terms,
                text,
                cfg,
                semantic=u in sem_set,
            )
            for u in ordered[query.offset : need]
        )
        return SearchPage(items, total, facets)

    # --- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Commit, snapshot the vectors and release the index directory."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            self._counter.shutdown(wait=True)
            self.text.close()
            if self.vectors is not None:
                self.vectors.commit(snapshot=True)

    def _meta(self) -> dict[str, Any]:
        emb = self.embedder
        return {
            "format": FORMAT_VERSION,
            "embedder": emb.name if emb else None,
            "dims": emb.dims if emb else None,
        }

    def _check_format(self) -> bool:
        """True when the index must be (re)built; discards an incompatible one."""
        path = self.directory / "meta.json"
        if path.exists():
            try:
                found = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                found = None
            if found == self._meta():
                return False
            logger.warning("Search index in %s is incompatible (%s); rebuilding", path, found)
            for sub in ("text", "vectors"):
                shutil.rmtree(self.directory / sub, ignore_errors=True)
            path.unlink()
        self.directory.mkdir(parents=True, exist_ok=True)
        return True  # meta.json is written when a rebuild completes

    def _write_meta(self) -> None:
        path = self.directory / "meta.json"
        path.write_text(json.dumps(self._meta()) + "\n", encoding="utf-8")
