"""The glossary in search: its terms as documents of their own (type ``glossary_term``) and
their names, synonyms and abbreviations on the assets they are accepted for (the glossary
feature's ``search_source`` and ``search_fields`` hooks)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from sounding.domain.search import GLOSSARY_TERM, SearchDocument
from sounding.features.glossary import repo
from sounding.features.glossary.terms import DEPRECATED, term_urn
from sounding.services.features import SearchFields


def asset_fields(
    conn: Connection, asset_ids: Sequence[int], object_ids: Sequence[int]
) -> SearchFields:
    """Per asset, its accepted terms' names, synonyms and abbreviations (words) and names."""
    words: dict[int, list[str]] = {}
    names: dict[int, list[str]] = {}
    for asset_id, terms in repo.accepted_terms(conn, asset_ids).items():
        found: dict[str, None] = {}
        for t in terms:
            for name in (t["name"], *(t["synonyms"] or []), *(t["abbreviations"] or [])):
                found.setdefault(name, None)
        words[asset_id] = list(found)
        names[asset_id] = [t["name"] for t in terms]
    return SearchFields(glossary_terms=words, terms=names)


class TermDocuments:
    """Glossary terms as search documents (the outbox notes them as ``glossary_term``)."""

    kind = GLOSSARY_TERM

    def documents(
        self, conn: Connection, ids: Sequence[int]
    ) -> tuple[list[SearchDocument], set[int]]:
        """Name, path (as qualified name), definition (as description), synonyms and
        abbreviations (as the document's glossary terms); the top-level category is its
        domain. Also the ids gone."""
        rows = repo.terms_by_ids(conn, ids)
        docs = [
            SearchDocument(
                id=t["id"],
                urn=term_urn(t["id"]),
                name=t["name"],
                qualified_name=t["path"],
                type=GLOSSARY_TERM,
                description=t["definition"],
                owner=t["owner"],
                steward=t["steward"],
                domain=t["path"].strip("/").split("/")[0],
                glossary_terms=(*(t["synonyms"] or []), *(t["abbreviations"] or [])),
                lifecycle="deprecated" if t["status"] == DEPRECATED else None,
                terms=(t["name"],),
            )
            for t in rows.values()
        ]
        return docs, set(ids) - set(rows)

    def ids_after(self, conn: Connection, after: int, limit: int) -> list[int]:
        return repo.term_ids_after(conn, after, limit)
