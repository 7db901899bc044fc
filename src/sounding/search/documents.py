"""How a :class:`SearchDocument` is seen by the index: text fields, facet values, the
stored payload a hit is built from, and the text its embedding is computed from.

The tantivy index and the brute-force oracle both read documents through these functions.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sounding.domain.search import SearchDocument
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError
from sounding.search.analysis import analyze, analyze_all, split_words

MAX_PAYLOAD_DESCRIPTION = 2000
MAX_PAYLOAD_COLUMNS = 300
MAX_EMBED_COLUMNS = 12
OBJECT_TYPES = ("table", "view", "dataset")


def text_fields(doc: SearchDocument) -> dict[str, list[str]]:
    """Index terms per text field (names match :data:`ranking.DEFAULT_FIELDS`)."""
    return {
        "name": analyze(doc.name),
        "qualified_name": analyze_all((doc.source, doc.qualified_name)),
        "labels": analyze_all(
            (
                *doc.classifications,
                *doc.glossary_terms,
                *doc.tags,
                *(p.partition(":")[2] for p in doc.properties),
            )
        ),
        "description": analyze(doc.description),
        "people": analyze_all((doc.owner, doc.steward, doc.domain)),
        "columns": analyze_all(doc.columns),
    }


def label_ancestors(label: str) -> list[str]:
    """``PII.Contact.Email`` -> ``PII``, ``PII.Contact``, ``PII.Contact.Email``."""
    parts = label.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def facet_values(doc: SearchDocument) -> dict[str, list[str]]:
    """Exact values per filter/facet field. A classification also files under its
    ancestors, so filtering on ``PII`` finds ``PII.Email`` columns."""
    classes: dict[str, None] = {}
    for label in doc.classifications:
        for name in label_ancestors(label):
            classes.setdefault(name, None)

    def one(value: str | None) -> list[str]:
        return [value] if value else []

    return {
        "type": [doc.type],
        "source": one(doc.source),
        "schema": one(doc.schema),
        "domain": one(doc.domain),
        "tag": sorted(set(doc.tags)),
        "classification": list(classes),
        "owner": one(doc.owner),
        "lifecycle": one(doc.lifecycle),
        "criticality": one(doc.criticality),
        "term": sorted(set(doc.terms)),
        "property": sorted(set(doc.properties)),
    }


def vector_key(urn: str) -> int:
    """A stable 63-bit key for the vector index, derived from the URN."""
    digest = hashlib.blake2b(urn.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def payload(doc: SearchDocument) -> bytes:
    """What a hit is built from, stored compactly beside the index terms."""
    data: dict[str, Any] = {
        "id": doc.id,
        "urn": doc.urn,
        "name": doc.name,
        "qualified_name": doc.qualified_name,
        "type": doc.type,
    }
    optional: dict[str, Any] = {
        "source": doc.source,
        "description": (doc.description or "")[:MAX_PAYLOAD_DESCRIPTION] or None,
        "owner": doc.owner,
        "steward": doc.steward,
        "domain": doc.domain,
        "tags": list(doc.tags),
        "classifications": list(doc.classifications),
        "glossary_terms": list(doc.glossary_terms),
        "columns": list(doc.columns[:MAX_PAYLOAD_COLUMNS]),
        "deleted": doc.deleted,
    }
    data.update({k: v for k, v in optional.items() if v})
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read_payload(raw: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(raw)
    return data


def _parent_name(doc: SearchDocument) -> str:
    if doc.type != "column":
        return ""
    qualified = doc.qualified_name
    if '"' not in qualified:
        parts: tuple[str, ...] | list[str] = qualified.split(".")
    else:
        try:
            parts = split_qualified(qualified)
        except InvalidInputError:
            return ""
    return parts[-2] if len(parts) >= 2 else ""


def embedding_segments(doc: SearchDocument) -> tuple[str, str, str]:
    """Plain words to embed, in three parts: what the document is (its name, labels,
    description), the table a column belongs to, and the first columns of a table. The
    first two are read as one text; the columns are weighted down so many of them do not
    drown the name. Parts repeat across documents (column names, parent tables), so a
    batch embeds each distinct part once."""
    words = [
        " ".join(split_words(doc.name)),
        *(" ".join(split_words(label)) for label in doc.glossary_terms),
        *(" ".join(split_words(label)) for label in doc.classifications),
        *(" ".join(split_words(tag)) for tag in doc.tags),
        doc.description or "",
    ]
    columns = ""
    if doc.type in OBJECT_TYPES:
        columns = " ".join(" ".join(split_words(c)) for c in doc.columns[:MAX_EMBED_COLUMNS])
    parent = " ".join(split_words(_parent_name(doc)))
    return " ".join(w for w in words if w), parent, columns
