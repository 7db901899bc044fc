"""Use cases for links between glossary terms and assets, and for suggested links.

A link is ``accepted`` (a person linked the term, or accepted a suggestion), ``suggested``
(Sounding proposes it with a confidence and its reasons) or ``rejected`` (a person said no;
that pair is never suggested again). Scoring is :mod:`sounding.features.glossary.suggest`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.glossary import names as gn
from sounding.features.glossary import repo
from sounding.features.glossary import suggest as gs
from sounding.features.glossary import terms as g
from sounding.features.glossary.records import GlossaryLink, SuggestionRun
from sounding.features.glossary.service import find_row
from sounding.search.analysis import STOP_WORDS, split_words, stem
from sounding.services import catalog
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import scanning as label_repo

logger = logging.getLogger(__name__)

SUGGESTED, ACCEPTED, REJECTED = "suggested", "accepted", "rejected"
LINK_STATUSES = (SUGGESTED, ACCEPTED, REJECTED)
OBJECTS = ("table", "view", "dataset")


def words(text: str) -> tuple[str, ...]:
    """Words as search reads them: split on case and separators, folded, plurals stemmed."""
    return tuple(stem(w) for w in split_words(text) if w not in STOP_WORDS)


def tokens(text: str) -> tuple[tuple[str, str | None], ...]:
    """Every word with its stem (``None`` for a stop word), for :func:`gn.shape_name`."""
    return tuple((w, None if w in STOP_WORDS else stem(w)) for w in split_words(text))


def spanning(texts: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """Those phrases (as words) written with a preposition inside: ``Date of Birth``."""
    out = set()
    for text in texts:
        found = tokens(text)
        inner = [w for w, _ in found[1:-1]]
        if any(w in gn.PREPOSITIONS for w in inner):
            out.add(words(text))
    return frozenset(out)


def plural_words(texts: Sequence[str]) -> frozenset[str]:
    """Stems of the words these phrases write in the plural (``Net Sales`` -> ``sale``)."""
    return frozenset(s for t in texts for w, s in tokens(t) if s is not None and s != w)


def link_public(row: Mapping[str, Any]) -> GlossaryLink:
    return GlossaryLink(
        id=row["id"],
        term_id=row["term_id"],
        term_path=row["term_path"],
        asset_id=row["asset_id"],
        urn=row["urn"],
        asset_type=row["asset_type"],
        qualified_name=row["qualified_name"],
        source=row["source"],
        status=row["status"],
        confidence=row["confidence"],
        reasons=list(row["reasons"] or []),
        created_by=row["created_by"],
        created_at=row["created_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
    )


def _check_status(status: str | None) -> None:
    if status is not None and status not in LINK_STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(LINK_STATUSES)}", field="status")


def term_assets(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    status: str | None = ACCEPTED,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GlossaryLink], int]:
    """Assets linked to a term (accepted by default; any status with ``status=None``)."""
    actor.require(Permission.CATALOG_READ)
    _check_status(status)
    with ctx.db.read() as conn:
        term = find_row(conn, ref)
        rows, total = repo.list_links(
            conn, term_id=term["id"], status=status, limit=limit, offset=offset
        )
    return [link_public(r) for r in rows], total


def _decide(
    ctx: Context, actor: Principal, term_ref: str | int, asset_ref: str | int, status: str
) -> GlossaryLink:
    asset = catalog.get_asset(ctx, actor, asset_ref, children=False)
    catalog.require_on(ctx, actor, Permission.CATALOG_WRITE, asset)
    now = utcnow()
    with ctx.db.write() as conn:
        term = find_row(conn, term_ref)
        existing = repo.get_link(conn, term["id"], asset.id)
        if existing is None:
            repo.insert_links(
                conn,
                [
                    {
                        "term_id": term["id"],
                        "asset_id": asset.id,
                        "status": status,
                        "confidence": None,
                        "reasons": [
                            f"{'linked' if status == ACCEPTED else 'rejected'} by a person"
                        ],
                        "created_by": actor.name,
                        "created_at": now,
                        "decided_by": actor.name,
                        "decided_at": now,
                    }
                ],
            )
        elif existing["status"] != status:
            repo.update_link(
                conn,
                existing["id"],
                {"status": status, "decided_by": actor.name, "decided_at": now},
            )
        asset_repo.touch(conn, asset.id)  # its glossary terms are part of it: new ETag
        action = "link" if status == ACCEPTED else "reject"
        audit.record(
            conn,
            actor.name,
            f"glossary.{action}",
            "asset",
            asset.urn,
            {"term": term["path"], "was": existing["status"] if existing else None},
        )
        row = repo.get_link(conn, term["id"], asset.id)
    assert row is not None
    return link_public(row)


def link(ctx: Context, actor: Principal, term_ref: str | int, asset_ref: str | int) -> GlossaryLink:
    """Link a term to an asset (accepting a suggestion or overriding a rejection); needs
    ``catalog:write`` on the asset (globally or through a policy on its scope)."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    return _decide(ctx, actor, term_ref, asset_ref, ACCEPTED)


def reject(
    ctx: Context, actor: Principal, term_ref: str | int, asset_ref: str | int
) -> GlossaryLink:
    """Say a term does not describe an asset: Sounding never suggests the pair again."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    return _decide(ctx, actor, term_ref, asset_ref, REJECTED)


def unlink(ctx: Context, actor: Principal, term_ref: str | int, asset_ref: str | int) -> None:
    """Remove a link or a suggestion (a later ``suggest`` may propose it again; reject it to
    prevent that)."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    asset = catalog.get_asset(ctx, actor, asset_ref, children=False)
    catalog.require_on(ctx, actor, Permission.CATALOG_WRITE, asset)
    with ctx.db.write() as conn:
        term = find_row(conn, term_ref)
        existing = repo.get_link(conn, term["id"], asset.id)
        if existing is None:
            raise NotFoundError(
                f"Term {term['path']} is not linked to {asset.urn}",
                term=term["path"],
                asset=asset.urn,
            )
        repo.delete_links(conn, [existing["id"]])
        asset_repo.touch(conn, asset.id)
        audit.record(
            conn, actor.name, "glossary.unlink", "asset", asset.urn, {"term": term["path"]}
        )


# --- suggestions ----------------------------------------------------------------------------


def list_suggestions(
    ctx: Context,
    actor: Principal,
    *,
    term: str | None = None,
    source: str | None = None,
    status: str | None = SUGGESTED,
    min_confidence: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GlossaryLink], int]:
    """Suggested links, most confident first (``status`` shows decided ones instead)."""
    actor.require(Permission.CATALOG_READ)
    _check_status(status)
    source_id = get_row(ctx, source)["id"] if source else None
    with ctx.db.read() as conn:
        term_id = find_row(conn, term)["id"] if term else None
        rows, total = repo.list_links(
            conn,
            term_id=term_id,
            status=status,
            source_id=source_id,
            min_confidence=min_confidence,
            limit=limit,
            offset=offset,
        )
    return [link_public(r) for r in rows], total


def decide_suggestion(ctx: Context, actor: Principal, link_id: int, status: str) -> GlossaryLink:
    """Accept or reject one suggestion by its id."""
    actor.require(Permission.CATALOG_WRITE)
    if status not in (ACCEPTED, REJECTED):
        raise InvalidInputError("A suggestion is accepted or rejected")
    with ctx.db.read() as conn:
        rows, _ = repo.list_links(conn, limit=1, offset=0, link_id=link_id)
    if not rows:
        raise NotFoundError(f"Suggestion {link_id} not found", suggestion=link_id)
    if rows[0]["status"] != SUGGESTED:
        raise ConflictError(
            f"Suggestion {link_id} was already {rows[0]['status']}", status=rows[0]["status"]
        )
    return _decide(ctx, actor, rows[0]["term_id"], rows[0]["asset_id"], status)


def _term_profiles(conn: Any) -> tuple[list[gs.TermProfile], dict[int, str]]:
    terms = [t for t in repo.all_terms(conn) if t["status"] != g.DEPRECATED]
    related = repo.related_ids(conn, [t["id"] for t in terms])
    out = []
    for t in terms:
        synonyms = [(s, words(s)) for s in t["synonyms"] or []]
        abbreviations = [(a, "".join(words(a))) for a in t["abbreviations"] or []]
        synonyms = [x for x in synonyms if x[1]]
        abbreviations = [x for x in abbreviations if x[1]]
        out.append(
            gs.TermProfile(
                id=t["id"],
                path=t["path"],
                name=words(t["name"]),
                synonyms=tuple(w for _, w in synonyms),
                abbreviations=tuple(w for _, w in abbreviations),
                classifications=tuple(t["classifications"] or []),
                shown=tuple(text for text, _ in [*synonyms, *abbreviations]),
                parent_id=t["parent_id"],
                related=tuple(related.get(t["id"], [])),
                defined=bool(
                    (t["definition"] or "").strip()
                    or synonyms
                    or abbreviations
                    or t["classifications"]
                ),
                plural_words=plural_words([t["name"], *(text for text, _ in synonyms)]),
                spans=spanning([t["name"], *(text for text, _ in synonyms)]),
            )
        )
    definitions = {t["id"]: t["definition"] for t in terms if t["definition"]}
    return out, definitions


def _profiles(
    conn: Any, source_id: int | None
) -> tuple[list[gs.TermProfile], list[gs.AssetProfile], dict[int, str], dict[int, str]]:
    term_profiles, definitions = _term_profiles(conn)
    rows = repo.assets_for_matching(conn, source_id)
    columns = [r["id"] for r in rows if r["type"] == "column"]
    labels = label_repo.labels_for(conn, columns)
    shapes = {r["id"]: gn.shape_name(tokens(r["name"]), r["type"] in OBJECTS) for r in rows}
    assets = []
    descriptions: dict[int, str] = {}
    for r in rows:
        split = words(r["name"])
        if r["type"] in OBJECTS:
            split = gs.name_words(split)
        found = tuple((x["label"], x["status"]) for x in labels.get(r["id"], []))
        parent = shapes.get(r["parent_id"]) if r["type"] == "column" else None
        table = parent.core if parent else ()
        assets.append(
            gs.AssetProfile(r["id"], r["type"], r["name"], split, found, shapes[r["id"]], table)
        )
        text = r["description"] or (r["source_properties"] or {}).get("comment")
        if text:
            descriptions[r["id"]] = str(text)
    return term_profiles, assets, definitions, descriptions


def _similarity(
    ctx: Context, definitions: dict[int, str], descriptions: dict[int, str]
) -> dict[tuple[int, int], float]:
    embedder = ctx.embedder
    if embedder is None or not definitions or not descriptions:
        return {}
    term_ids, asset_ids = list(definitions), list(descriptions)
    scores = (
        embedder.embed(list(definitions.values())) @ embedder.embed(list(descriptions.values())).T
    )
    out: dict[tuple[int, int], float] = {}
    for ti, ai in zip(*np.nonzero(scores >= gs.DESCRIPTION_MIN), strict=True):
        out[(term_ids[ti], asset_ids[ai])] = float(scores[ti, ai])
    return out


def generate_suggestions(
    ctx: Context,
    actor: Principal,
    source: str | None = None,
    threshold: float = gs.DEFAULT_THRESHOLD,
) -> SuggestionRun:
    """Score every term against every asset (of ``source``, or all) and store suggestions at or
    above ``threshold``. Earlier suggestions are refreshed or withdrawn; accepted and rejected
    pairs are left alone and never suggested."""
    actor.require(Permission.CATALOG_WRITE)
    if not 0.0 < threshold <= 1.0:
        raise InvalidInputError("threshold must be in (0, 1]", field="threshold")
    source_id = get_row(ctx, source)["id"] if source else None
    with ctx.db.read() as conn:
        terms, assets, definitions, descriptions = _profiles(conn, source_id)
        existing = repo.link_pairs(conn)
    similarity = _similarity(ctx, definitions, descriptions)
    decided = [pair for pair, (_, status) in existing.items() if status != SUGGESTED]
    found = gs.suggest_links(terms, assets, similarity, threshold=threshold, skip=decided)
    now = utcnow()
    new, updated = [], 0
    with ctx.db.write() as conn:
        for s in found:
            values = {"confidence": s.confidence, "reasons": list(s.reasons)}
            old = existing.get((s.term_id, s.asset_id))
            if old is None:
                new.append(
                    {
                        **values,
                        "term_id": s.term_id,
                        "asset_id": s.asset_id,
                        "status": SUGGESTED,
                        "created_by": actor.name,
                        "created_at": now,
                    }
                )
            else:
                repo.update_link(conn, old[0], values)
                updated += 1
        repo.insert_links(conn, new)
        scope = {a.id for a in assets}
        kept = {(s.term_id, s.asset_id) for s in found}
        stale = [
            link_id
            for pair, (link_id, status) in existing.items()
            if status == SUGGESTED and pair[1] in scope and pair not in kept
        ]
        repo.delete_links(conn, stale)
        result = SuggestionRun(
            terms=len(terms),
            assets=len(assets),
            suggested=len(new),
            updated=updated,
            withdrawn=len(stale),
            threshold=threshold,
        )
        audit.record(conn, actor.name, "glossary.suggest", "source", source, asdict(result))
    return result
