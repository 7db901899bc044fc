"""Catalog search: an embedded index per server home that never drifts from the store.

Database triggers note every change in the ``search_outbox`` (same transaction as the
change); before answering, the index applies every note after its cursor, so a read always
sees every committed write. ``reindex`` rebuilds from the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sounding.domain.assets import AssetType
from sounding.domain.auth import Permission, Principal
from sounding.domain.search import (
    GLOSSARY_TERM,
    MISSING_FIELDS,
    Hit,
    MatchReason,
    SearchDocument,
    SearchFilters,
    SearchMode,
    SearchQuery,
    Suggestion,
    SuggestionKind,
    Suggestions,
)
from sounding.errors import InvalidInputError
from sounding.search.index import SearchIndex, open_index
from sounding.services import catalog, features
from sounding.services.context import Context
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import scanning as label_repo
from sounding.store.repos import search as outbox

logger = logging.getLogger(__name__)

BATCH = 2000
OBJECTS = ("table", "view", "dataset")


class SearchState:
    """The search index of one directory in this process, with its outbox cursor.

    One per directory per process (see :func:`_state`), shared by every thread and every
    :class:`Context` on the same home: tantivy allows one writer per directory, so a second
    open in the same process would find the directory locked by itself."""

    def __init__(self, directory: Path, search_model: str) -> None:
        self.directory = directory
        self.index: SearchIndex = open_index(directory, embedder=search_model)
        self.lock = threading.Lock()
        self.users = 0  # contexts holding this state; the last to stop closes the index
        self._cursor_file = directory / "outbox.cursor"
        self._cursor: int | None = None

    @property
    def cursor(self) -> int:
        # read once: this process alone holds the index (and writes the cursor) from now on;
        # every search reads the cursor, and a file read each time showed in the profile
        if self._cursor is None:
            self._cursor = self._read_cursor()
        return self._cursor

    @cursor.setter
    def cursor(self, value: int) -> None:
        tmp = self._cursor_file.with_suffix(".tmp")
        tmp.write_text(str(value))
        tmp.replace(self._cursor_file)
        self._cursor = value

    def _read_cursor(self) -> int:
        try:
            return int(self._cursor_file.read_text())
        except FileNotFoundError:  # a new index: every note is still to apply
            return 0
        except (OSError, ValueError) as exc:
            logger.warning(
                "Search index cursor %s is unreadable (%s); the index is rebuilt from the catalog",
                self._cursor_file,
                exc,
            )
            return 0

    def stop(self) -> None:
        """Called by Context.stop(): let go of this context's share of the index."""
        with _OPEN_LOCK:
            self.users -= 1
            if self.users > 0:
                return
            _OPEN.pop(self.directory, None)
        self.index.close()

    close = stop


# every search index this process has open, by resolved directory
_OPEN: dict[Path, SearchState] = {}
_OPEN_LOCK = threading.Lock()


def open_state(ctx: Context, *, fresh: bool = True) -> SearchState:
    """A share of the search state of ``ctx``'s home, opening the directory's index if this
    process has not yet (once, however many contexts ask at the same moment); ``fresh`` brings
    a new or discarded index up to date from the store before anyone reads it. The context
    keeps it (``ctx.search_state()``) and lets go of it when it stops."""
    with _OPEN_LOCK:
        directory = index_path(ctx).resolve()
        state = _OPEN.get(directory)
        if state is None:
            state = _OPEN[directory] = SearchState(directory, ctx.settings.search_model)
        if fresh and (getattr(state.index, "needs_rebuild", False) or state.cursor == 0):
            _rebuild(ctx, state)
        state.users += 1
    return state


def _state(ctx: Context, *, fresh: bool = True) -> SearchState:
    return ctx.search_state(fresh=fresh)


def documents(ctx: Context, ids: Sequence[int]) -> tuple[list[SearchDocument], set[int]]:
    """Search documents of these assets, and the ids that no longer exist.

    The features add to it (their ``search_fields`` hook): the glossary the names, synonyms
    and abbreviations of its accepted terms (a table also those of its columns), so searching
    a term's synonym finds the asset; usage the asset's stored popularity and quality the
    newest overall score, the ranking inputs. Each notes its changes in the outbox."""
    terms: dict[int, list[str]] = {}
    term_names: dict[int, list[str]] = {}
    popularity: dict[int, float] = {}
    quality: dict[int, float] = {}
    with ctx.db.read() as conn:
        rows = {r["id"]: r for r in asset_repo.get_many(conn, ids)}
        objects = [i for i, r in rows.items() if r["type"] in OBJECTS]
        columns = asset_repo.columns_of(conn, objects)
        column_ids = [c["id"] for cols in columns.values() for c in cols]
        column_ids += [i for i, r in rows.items() if r["type"] == "column"]
        labels = label_repo.labels_for(conn, column_ids)
        for feature in features.load():
            if feature.search_fields is not None:
                added = feature.search_fields(conn, [*rows, *column_ids], objects)
                for asset_id, words in added.glossary_terms.items():
                    terms.setdefault(asset_id, []).extend(words)
                for asset_id, names in added.terms.items():
                    term_names.setdefault(asset_id, []).extend(names)
                popularity.update(added.popularity)
                quality.update(added.quality)

    def live(asset_id: int) -> list[str]:
        return [x["label"] for x in labels.get(asset_id, []) if x["status"] != "rejected"]

    docs = []
    for asset_id, row in rows.items():
        cols = columns.get(asset_id, [])
        found = live(asset_id) + [lb for c in cols for lb in live(c["id"])]
        glossary = terms.get(asset_id, []) + [t for c in cols for t in terms.get(c["id"], [])]
        named = term_names.get(asset_id, []) + [
            t for c in cols for t in term_names.get(c["id"], [])
        ]
        docs.append(
            SearchDocument.from_asset(
                catalog.public(row),
                columns=[c["name"] for c in cols],
                classifications=sorted(set(found)),
                glossary_terms=list(dict.fromkeys(glossary)),
                quality=quality.get(asset_id),
                popularity=popularity.get(asset_id, 0.0),
                terms=list(dict.fromkeys(named)),
            )
        )
    return docs, set(ids) - set(rows)


def catch_up(ctx: Context) -> int:
    """Apply every outbox note after the index's cursor; returns how many assets changed."""
    state = _state(ctx)
    # the usual case, nothing new: one indexed look-up without the lock, so concurrent
    # searches do not queue behind each other's outbox read (issue 20)
    with ctx.db.read() as conn:
        if not outbox.newer_than(conn, state.cursor):
            return 0
    applied = 0
    with state.lock:
        while True:
            with ctx.db.read() as conn:
                notes, last = outbox.pending(conn, state.cursor, BATCH)
            if last is None:
                return applied
            assets = [(ref, urn) for kind, ref, urn in notes if kind == outbox.ASSET]
            docs, gone = documents(ctx, [ref for ref, _ in assets])
            deletes = [urn for ref, urn in assets if ref in gone and urn]
            for source in features.search_sources():  # the glossary's terms
                noted = [(ref, urn) for kind, ref, urn in notes if kind == source.kind]
                if not noted:
                    continue
                with ctx.db.read() as conn:
                    more, more_gone = source.documents(conn, [ref for ref, _ in noted])
                docs += more
                deletes += [urn for ref, urn in noted if ref in more_gone and urn]
            state.index.apply(docs, deletes)
            state.index.commit()
            state.cursor = last
            applied += len(notes)


def _all_documents(ctx: Context) -> Iterator[SearchDocument]:
    after = 0
    while True:
        with ctx.db.read() as conn:
            ids = asset_repo.all_ids(conn, after, BATCH)
        if not ids:
            break
        docs, _ = documents(ctx, ids)
        yield from docs
        after = ids[-1]
    for source in features.search_sources():
        after = 0
        while True:
            with ctx.db.read() as conn:
                ids = source.ids_after(conn, after, BATCH)
                found = source.documents(conn, ids)[0] if ids else []
            if not ids:
                break
            yield from found
            after = ids[-1]


def reindex(ctx: Context) -> int:
    """Rebuild the index from the store (``sounding search reindex``)."""
    return _rebuild(ctx, _state(ctx, fresh=False))


def _rebuild(ctx: Context, state: SearchState) -> int:
    with state.lock:
        with ctx.db.read() as conn:
            mark = outbox.last_id(conn)  # notes after this are applied by the next catch-up
        count = state.index.rebuild(_all_documents(ctx))
        state.cursor = mark
    logger.info("Rebuilt the search index: %d assets and glossary terms", count)
    return count


def search(
    ctx: Context,
    actor: Principal,
    q: str,
    *,
    limit: int = 20,
    offset: int = 0,
    mode: str = "hybrid",
    filters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    actor.require(Permission.CATALOG_READ)
    f = filters or {}
    _check_choices(f)
    query = SearchQuery(
        text=q,
        filters=SearchFilters(**f),
        limit=limit,
        offset=offset,
        mode=SearchMode(mode),
    )
    catch_up(ctx)
    page = _state(ctx).index.search(query)
    if q.strip():
        _state(ctx).index.record_query(q)
    return page.to_dict()


_CHOICES = {
    "types": ("type", (*(t.value for t in AssetType), GLOSSARY_TERM)),
    "lifecycles": ("lifecycle", catalog.LIFECYCLE),
    "criticalities": ("criticality", catalog.CRITICALITY),
    "missing": ("field", MISSING_FIELDS),
}


def _check_choices(filters: dict[str, Any]) -> None:
    """A filter value that no document can have is a typo: say so rather than find nothing."""
    for key, (name, allowed) in _CHOICES.items():
        for value in filters.get(key) or ():
            if value not in allowed:
                raise InvalidInputError(
                    f"Unknown {name} {value!r}: use {', '.join(allowed)}", field=name
                )


@dataclass(frozen=True, slots=True)
class QuickMatches:
    """What the search box offers while someone types: the best assets and glossary terms
    by name (each with its id, so picking one opens it) and recent searches that start the
    same way."""

    hits: tuple[Hit, ...]
    recent: tuple[Suggestion, ...]


QUICK_MAX = 20
QUICK_RECENT = 3
QUICK_POOL = 3  # candidates per place, so whole objects can lead columns with closer names
# exact names first, then objects and glossary terms, containers, and columns last
QUICK_GROUPS = {"table": 0, "view": 0, "dataset": 0, GLOSSARY_TERM: 0, "column": 2}


def quick(ctx: Context, actor: Principal, text: str, limit: int = 8) -> QuickMatches:
    """Matches for a search box as someone types: keyword search only (no embedding, no
    facets), so it stays fast at catalog scale; nothing is recorded as a search."""
    actor.require(Permission.CATALOG_READ)
    if not 1 <= limit <= QUICK_MAX:
        raise InvalidInputError(f"limit must be between 1 and {QUICK_MAX}", field="limit")
    if not text.strip():
        return QuickMatches((), ())
    query = SearchQuery(text=text, limit=limit * QUICK_POOL, mode=SearchMode.KEYWORD, facets=False)
    catch_up(ctx)
    index = _state(ctx).index
    page = index.search(query)
    ranked = sorted(
        page.items,  # stable: relevance order within each group
        key=lambda h: (MatchReason.EXACT not in h.reasons, QUICK_GROUPS.get(h.type, 1)),
    )
    recent = [s for s in index.suggest(text, limit) if s.kind == SuggestionKind.QUERY]
    return QuickMatches(tuple(ranked[:limit]), tuple(recent[:QUICK_RECENT]))


def suggest(ctx: Context, actor: Principal, prefix: str, limit: int = 10) -> Suggestions:
    """Completions of ``prefix``: asset and glossary term names, and recent searches."""
    actor.require(Permission.CATALOG_READ)
    catch_up(ctx)
    items = _state(ctx).index.suggest(prefix, limit)
    return Suggestions(items, len(items))


def index_path(ctx: Context) -> Path:
    return ctx.settings.home / "search"
