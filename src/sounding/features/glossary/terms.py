"""The business glossary as plain data: term paths, hierarchy rules, statuses, and the CSV and
JSON file formats. No I/O beyond parsing text; the glossary service stores what this checks.

A term lives at a path made of its ancestors' names and its own: ``/Finance/Revenue/Net
Revenue``. Names are unique among siblings (case-insensitively) and contain no ``/``. A term
moves through ``draft -> approved -> deprecated``; a deprecated term can be brought back to
draft, and editing never changes the status by itself.

File format (one term per row or object; see ``docs/glossary.md``)::

    path, definition, synonyms, abbreviations, examples, related, classifications,
    owner, steward, status

List-valued CSV cells separate values with ``|``. ``path`` is the identity: importing a path
that exists updates that term; missing ancestors are created as drafts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.documents import load_json
from sounding.errors import ConflictError, InvalidInputError, ParseError, ValidationFailedError

DRAFT, APPROVED, DEPRECATED = "draft", "approved", "deprecated"
STATUSES = (DRAFT, APPROVED, DEPRECATED)
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({APPROVED, DEPRECATED}),
    APPROVED: frozenset({DEPRECATED, DRAFT}),
    DEPRECATED: frozenset({DRAFT}),
}
MAX_NAME = 200
MAX_DEPTH = 10
LIST_FIELDS = ("synonyms", "abbreviations", "examples", "related", "classifications")
TEXT_FIELDS = ("definition", "owner", "steward", "status")
COLUMNS = ("path", "definition", *LIST_FIELDS[:3], "related", "classifications", *TEXT_FIELDS[1:])
"""CSV header, in order (``docs/glossary.md`` documents each)."""
SEPARATOR = "|"
URN_PREFIX = "urn:sounding:glossary:term:"


def term_urn(term_id: int) -> str:
    """A term's stable URN (by id: renaming or moving a term keeps it)."""
    return f"{URN_PREFIX}{term_id}"


# --- names and paths --------------------------------------------------------------------


def check_name(name: Any) -> str:
    """A term name as stored, or InvalidInputError saying what is wrong with it."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError("A term needs a non-empty name", field="name")
    clean = " ".join(name.split())
    if "/" in clean:
        raise InvalidInputError(
            f"Term name {name!r} contains '/', which separates path segments", field="name"
        )
    if len(clean) > MAX_NAME:
        raise InvalidInputError(f"Term name is longer than {MAX_NAME} characters", field="name")
    return clean


def split_path(path: str) -> tuple[str, ...]:
    """``/Finance/Revenue`` -> ``("Finance", "Revenue")``; each segment checked."""
    if not isinstance(path, str) or not path.strip().strip("/"):
        raise InvalidInputError(f"Invalid term path {path!r}: use /Parent/Child", field="path")
    parts = tuple(check_name(p) for p in path.strip().strip("/").split("/"))
    if len(parts) > MAX_DEPTH:
        raise InvalidInputError(f"Term path {path!r} is deeper than {MAX_DEPTH}", field="path")
    return parts


def join_path(parts: Iterable[str]) -> str:
    return "/" + "/".join(parts)


def child_path(parent_path: str | None, name: str) -> str:
    return f"{parent_path.rstrip('/')}/{name}" if parent_path else f"/{name}"


def path_key(path: str) -> str:
    """What makes two paths the same term: case and spacing do not count."""
    return "/".join(" ".join(p.split()).casefold() for p in path.split("/"))


def looks_like_path(ref: str) -> bool:
    return ref.startswith("/")


# --- hierarchy --------------------------------------------------------------------------


def check_parent(
    term_id: int | None, new_parent: int | None, parents: Mapping[int, int | None]
) -> None:
    """Refuse a move that would put a term under itself or one of its descendants.

    ``parents`` maps every term id to its parent id."""
    if new_parent is None or term_id is None:
        return
    seen: set[int] = set()
    node: int | None = new_parent
    while node is not None and node not in seen:
        if node == term_id:
            raise ConflictError(
                "A term cannot be moved under itself or one of its descendants",
                term_id=term_id,
                parent_id=new_parent,
            )
        seen.add(node)
        node = parents.get(node)


def check_sibling_names(name: str, sibling_names: Iterable[str], path: str) -> None:
    """Names are unique among siblings, case-insensitively."""
    folded = name.casefold()
    if any(s.casefold() == folded for s in sibling_names):
        raise ConflictError(f"A term named {name!r} already exists at {path}", path=path)


def check_transition(current: str, target: str, path: str) -> None:
    if target not in STATUSES:
        raise InvalidInputError(f"Unknown status {target!r}: use {', '.join(STATUSES)}")
    if target == current:
        raise ConflictError(f"Term {path} is already {current}", path=path, status=current)
    if target not in TRANSITIONS[current]:
        raise ConflictError(
            f"Term {path} is {current}; it cannot become {target} "
            f"(allowed: {', '.join(sorted(TRANSITIONS[current]))})",
            path=path,
            status=current,
        )


def build_tree(terms: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Nested ``children`` lists from flat rows with ``id`` and ``parent_id``, by name."""
    nodes = {t["id"]: {**t, "children": []} for t in terms}
    roots: list[dict[str, Any]] = []
    for node in sorted(nodes.values(), key=lambda n: str(n["name"]).casefold()):
        parent = nodes.get(node["parent_id"]) if node["parent_id"] is not None else None
        (parent["children"] if parent else roots).append(node)
    return roots


# --- values -----------------------------------------------------------------------------


def clean_list(value: Any, field_name: str) -> list[str]:
    """A list of distinct non-empty strings, in order; a ``|``-separated string splits."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(SEPARATOR)
    if not isinstance(value, list | tuple):
        raise InvalidInputError(f"{field_name} must be a list of strings", field=field_name)
    out: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str):
            raise InvalidInputError(f"{field_name} must be a list of strings", field=field_name)
        text = " ".join(item.split())
        if text:
            out.setdefault(text, None)
    return list(out)


@dataclass(frozen=True, slots=True)
class TermRecord:
    """One term as a file holds it; ``line`` is where it came from (for errors)."""

    path: str
    definition: str | None = None
    synonyms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    owner: str | None = None
    steward: str | None = None
    status: str | None = None
    line: int | None = None
    parts: tuple[str, ...] = field(default=(), compare=False)
    fields: frozenset[str] = field(default=frozenset(COLUMNS), compare=False)
    """The columns (CSV) or keys (JSON) the file gave: an update changes only these."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "definition": self.definition,
            **{k: list(getattr(self, k)) for k in LIST_FIELDS},
            "owner": self.owner,
            "steward": self.steward,
            "status": self.status,
        }


def record_from_mapping(data: Mapping[str, Any], line: int | None = None) -> TermRecord:
    """Validate one term of a file; errors name the field."""
    unknown = set(data) - set(COLUMNS) - {"name", "id", "parent"}
    if unknown:
        raise InvalidInputError(
            f"Unknown field(s) {', '.join(sorted(unknown))}; expected {', '.join(COLUMNS)}"
        )
    raw_path = data.get("path")
    if raw_path is not None and not isinstance(raw_path, str):
        raise InvalidInputError("path must be text, like /Finance/Revenue", field="path")
    parts = split_path(raw_path or "")
    lists = {k: tuple(clean_list(data.get(k), k)) for k in LIST_FIELDS}
    related = tuple(join_path(split_path(p)) for p in lists.pop("related"))
    texts: dict[str, str | None] = {}
    for key in TEXT_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(f"{key} must be text", field=key)
        texts[key] = value.strip() or None if isinstance(value, str) else None
    status = texts.pop("status")
    if status is not None and status not in STATUSES:
        raise InvalidInputError(f"Unknown status {status!r}: use {', '.join(STATUSES)}")
    return TermRecord(
        path=join_path(parts),
        definition=texts["definition"],
        synonyms=lists["synonyms"],
        abbreviations=lists["abbreviations"],
        examples=lists["examples"],
        related=related,
        classifications=lists["classifications"],
        owner=texts["owner"],
        steward=texts["steward"],
        status=status,
        line=line,
        parts=parts,
        fields=frozenset(data) & frozenset(COLUMNS),
    )


def _collect(items: Iterable[tuple[int, Mapping[str, Any]]], what: str) -> list[TermRecord]:
    records: list[TermRecord] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, item in items:
        try:
            if not isinstance(item, Mapping):
                raise InvalidInputError("each term must be an object")
            rec = record_from_mapping(item, line)
        except InvalidInputError as exc:
            errors.append({"loc": [what, line], "msg": exc.message})
            continue
        key = path_key(rec.path)
        if key in seen:
            errors.append({"loc": [what, line], "msg": f"{rec.path} repeats {what} {seen[key]}"})
            continue
        seen[key] = line
        records.append(rec)
    if errors:
        first = errors[0]
        raise ValidationFailedError(
            f"Glossary file has {len(errors)} invalid term(s); first: {what} "
            f"{first['loc'][1]}: {first['msg']}",
            errors=errors[:100],
        )
    return records


def parse_csv(text: str) -> list[TermRecord]:
    """Terms of a CSV file with a header row (``path`` required, other columns optional)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise ParseError(f"Glossary CSV header: {_csv_problem(exc)}") from exc
    if "path" not in header:
        raise InvalidInputError(
            f"The CSV header must name a 'path' column; known columns: {', '.join(COLUMNS)}"
        )
    reader.fieldnames = header
    rows = (
        (i, {k: v or None for k, v in row.items() if k is not None})
        for i, row in enumerate(reader, start=2)
    )
    try:
        return _collect(rows, "line")
    except csv.Error as exc:
        line = reader.line_num + 1  # the record being read when the error came
        raise ParseError(f"Glossary CSV line {line}: {_csv_problem(exc)}", line=line) from exc


def _csv_problem(exc: csv.Error) -> str:
    limit = csv.field_size_limit()
    if "field limit" in str(exc):
        return f"a field is longer than {limit} characters; shorten it"
    return f"{exc}; check the quoting"


def parse_json(text: str) -> list[TermRecord]:
    """Terms of a JSON file: ``{"terms": [...]}`` or a list of term objects."""
    data = load_json(text, "Glossary file")
    items = data.get("terms") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InvalidInputError('A JSON glossary is a list of terms or {"terms": [...]}')
    return _collect(enumerate(items, start=1), "term")


def parse(text: str, fmt: str) -> list[TermRecord]:
    if fmt == "csv":
        return parse_csv(text)
    if fmt == "json":
        return parse_json(text)
    raise InvalidInputError(f"Unknown glossary format {fmt!r}: use csv or json", field="format")


def _export_row(term: Mapping[str, Any]) -> dict[str, Any]:
    return {k: term.get(k) for k in COLUMNS}


def to_csv(terms: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for term in terms:
        row = _export_row(term)
        for key in LIST_FIELDS:
            row[key] = SEPARATOR.join(row.get(key) or [])
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def to_json(terms: Iterable[Mapping[str, Any]]) -> str:
    rows = [_export_row(t) for t in terms]
    return json.dumps({"terms": rows}, indent=2, ensure_ascii=False) + "\n"


def ancestors_first(records: Sequence[TermRecord]) -> list[TermRecord]:
    """Parents before children, so an import can create them in order."""
    return sorted(records, key=lambda r: (len(r.parts), path_key(r.path)))
