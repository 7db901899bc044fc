"""Glossary terms of one asset, edited inside the asset's own write (``add_terms`` and
``remove_terms`` of ``PATCH /api/v1/assets/{ref}``): links accepted or removed in the same
transaction as the asset's other changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.glossary import repo
from sounding.features.glossary.service import find_row
from sounding.features.glossary.tables import glossary_links
from sounding.store.repos import utcnow

ACCEPTED = "accepted"  # the status of a link a person made (services.glossary_links)


def edit_links(
    conn: Connection, actor: str, asset_id: int, add: Sequence[str], remove: Sequence[str]
) -> dict[str, list[str]]:
    """Link the ``add`` terms (ids or paths) to the asset as accepted and drop the accepted
    links of the ``remove`` terms; both idempotent. Returns the term paths each touched."""
    now = utcnow()
    added: list[str] = []
    for ref in add:
        term = find_row(conn, ref)
        existing = repo.get_link(conn, term["id"], asset_id)
        if existing is None:
            repo.insert_links(conn, [_accepted_link(term["id"], asset_id, actor, now)])
        elif existing["status"] != ACCEPTED:
            repo.update_link(
                conn, existing["id"], {"status": ACCEPTED, "decided_by": actor, "decided_at": now}
            )
        added.append(term["path"])
    removed: list[str] = []
    for ref in remove:
        term = find_row(conn, ref)
        existing = repo.get_link(conn, term["id"], asset_id)
        if existing is not None and existing["status"] == ACCEPTED:
            repo.delete_links(conn, [existing["id"]])
        removed.append(term["path"])
    return {"added": added, "removed": removed}


def _accepted_link(term_id: int, asset_id: int, actor: str, now: Any) -> dict[str, Any]:
    return {
        "term_id": term_id,
        "asset_id": asset_id,
        "status": ACCEPTED,
        "confidence": None,
        "reasons": ["linked by a person"],
        "created_by": actor,
        "created_at": now,
        "decided_by": actor,
        "decided_at": now,
    }


def term_paths(conn: Connection, asset_id: int) -> list[str]:
    """Paths of the terms accepted for the asset, in path order."""
    return [t["path"] for t in repo.accepted_terms(conn, [asset_id]).get(asset_id, [])]


def linked_assets() -> sa.Select[Any]:
    """Assets linked to an accepted term (coverage: ``with_terms``)."""
    return sa.select(glossary_links.c.asset_id).where(glossary_links.c.status == ACCEPTED)


def term_path(conn: Connection, ref: str) -> str:
    """The path of the term ``ref`` (an id or a path), or NotFoundError naming it."""
    return str(find_row(conn, ref)["path"])


def term_paths_many(conn: Connection, asset_ids: Sequence[int]) -> dict[int, list[str]]:
    """Paths of the terms accepted for each asset (assets with none are left out)."""
    found = repo.accepted_terms(conn, list(asset_ids))
    return {a: [t["path"] for t in terms] for a, terms in found.items() if terms}
