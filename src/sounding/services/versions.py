"""ETags and conditional writes (``If-Match``), one mechanism for every editable resource.

Sources, assets, glossary terms, quality rules, workflows and compliance findings carry a
``row_version`` that every UPDATE of their row increments (see ``store.tables.row_version``);
their public form shows it as ``revision``. The ETag of a resource is ``"<id>.<revision>"``.

A write that names an ETag (``if_match``) calls :func:`check` inside its write transaction,
before writing: the row is locked, its revision compared, and the write that follows commits
with it or not at all, so two clients holding the same ETag cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.errors import InvalidInputError, PreconditionFailedError
from sounding.store.repos import versions as repo


def etag(row_id: int, revision: int) -> str:
    """A strong entity tag, quotes included, as the ``ETag`` header carries it."""
    return f'"{row_id}.{revision}"'


def etag_of(public: object) -> str:
    """The ETag of a resource from its public form (``id`` and ``revision``): a mapping or
    a typed record with those attributes."""
    if isinstance(public, Mapping):
        return etag(int(public["id"]), int(public["revision"]))
    return etag(int(getattr(public, "id")), int(getattr(public, "revision")))  # noqa: B009


def parse_if_match(header: str) -> tuple[str, ...]:
    """The entity tags of an ``If-Match`` header (``*`` alone, or quoted tags separated by
    commas; weak tags ``W/"…"`` are kept and never match, as RFC 9110 says)."""
    tags = tuple(t.strip() for t in header.split(",") if t.strip())
    if tags == ("*",):
        return tags
    for tag in tags:
        bare = tag[2:] if tag.startswith("W/") else tag
        if len(bare) < 2 or not (bare.startswith('"') and bare.endswith('"')):
            raise InvalidInputError(
                f"If-Match {header!r} is not a list of ETags: send the ETag header of your "
                'last read as it came, quotes included (If-Match: "12.3"), or * for any',
                field="If-Match",
            )
    if not tags:
        raise InvalidInputError("If-Match is empty: send an ETag or *", field="If-Match")
    return tags


def check(
    conn: Connection, table: sa.Table, row_id: int | None, if_match: str | None, what: str
) -> None:
    """Refuse the write unless ``if_match`` names the row's current revision (or is ``*`` and
    the row exists; ``row_id`` None: it does not). No ``if_match``: an unconditional write,
    nothing to check. Call it in the write transaction, before the write."""
    if if_match is None:
        return
    tags = parse_if_match(if_match)
    revision = None if row_id is None else repo.current(conn, table, row_id, lock=True)
    now = None if row_id is None or revision is None else etag(row_id, revision)
    if now is not None and (tags == ("*",) or now in tags):
        return
    if now is None:
        raise PreconditionFailedError(
            f"{what} does not exist (any more), so If-Match: {if_match} cannot match", etag=None
        )
    raise PreconditionFailedError(
        f"{what} was changed since you read it: its ETag is now {now}, you sent If-Match: "
        f"{if_match}. Read it again, reapply your change and send the new ETag",
        etag=now,
    )
