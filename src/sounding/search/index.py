"""The search index as the rest of Sounding sees it.

Writers call :meth:`SearchIndex.apply` with documents to (re)index and URNs to drop, then
:meth:`SearchIndex.commit`; both are idempotent, so replaying an outbox after a crash is
safe. Readers call :meth:`SearchIndex.search` and :meth:`SearchIndex.suggest`.
:func:`open_index` returns the embedded implementation (tantivy + usearch) over one
directory, usually ``<SOUNDING_HOME>/search``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from sounding.domain.search import SearchDocument, SearchPage, SearchQuery, Suggestion
from sounding.search.embeddings import Embedder
from sounding.search.ranking import RankingConfig


class SearchIndex(Protocol):
    needs_rebuild: bool
    """True when the index was created empty (first start, or an incompatible format or
    embedding model was found and discarded): feed it every document with ``rebuild``."""

    def apply(self, upserts: Sequence[SearchDocument] = (), deletes: Sequence[str] = ()) -> None:
        """Index ``upserts`` (replacing documents with the same URN) and drop ``deletes``
        (URNs). Visible to searches after :meth:`commit`."""

    def commit(self) -> None:
        """Make applied changes durable and visible."""

    def rebuild(self, docs: Iterable[SearchDocument]) -> int:
        """Replace the whole index with ``docs``; commits; returns how many."""

    def search(self, query: SearchQuery) -> SearchPage: ...

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]: ...

    def record_query(self, text: str) -> None:
        """Remember a query people ran, for :meth:`suggest`."""

    def __len__(self) -> int: ...

    def close(self) -> None: ...


def open_index(
    directory: Path,
    *,
    embedder: Embedder | str | None = "static",
    config: RankingConfig | None = None,
    threads: int = 1,
) -> SearchIndex:
    """The embedded index stored in ``directory`` (created when missing).

    ``embedder``: ``"static"`` (shipped model), ``"minilm"`` (optional extra), an
    :class:`Embedder`, or None / ``"none"`` for keyword search only.
    """
    from sounding.search.engine import SearchEngine

    return SearchEngine(directory, embedder=embedder, config=config, threads=threads)
