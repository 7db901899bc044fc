"""What the SQL connectors share: the per-dialect catalog reader protocol and batched describe.

A :class:`CatalogReader` knows one engine's catalog (PostgreSQL, MySQL/MariaDB, SQLite). It
describes many objects of one container (a schema, or a database) with a handful of catalog
queries, never one round trip per table. :func:`describe_in_batches` drives it: refs are grouped
by container and chunked; when a whole batch fails, each ref of it is retried alone, so one
broken object becomes one ``ObjectFailure`` and the others still succeed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import sqlalchemy as sa

from sounding.domain.assets import AssetType, DiscoveredObject, ObjectFailure, ObjectRef

logger = logging.getLogger(__name__)

BATCH_SIZE = 250

Described = DiscoveredObject | ObjectFailure
BatchFn = Callable[[tuple[str, ...], Sequence[ObjectRef]], Mapping[str, Described]]


class CatalogReader(Protocol):
    """One engine's catalog, read through an open SQLAlchemy connection."""

    container_types: tuple[AssetType, ...]
    row_count_estimates: bool
    has_logins: bool  # a server login whose privileges matter (not an embedded file)

    def login_warnings(self, conn: sa.Connection) -> list[str]:
        """What is too powerful about the login (superuser, server file access)."""
        ...

    def facts(self, conn: sa.Connection) -> dict[str, Any]:
        """Server version, database and schema names: what ``Connector.test()`` returns."""
        ...

    def list_objects(self, conn: sa.Connection) -> list[ObjectRef]:
        """Every table and view of the scanned containers (unfiltered, any order)."""
        ...

    def describe_batch(
        self, conn: sa.Connection, container: tuple[str, ...], refs: Sequence[ObjectRef]
    ) -> dict[str, Described]:
        """Describe objects of one container, keyed by object name. A name left out means
        "not found"; an exception means the batch as a whole failed."""
        ...


def run_quoted(conn: sa.Connection, sql: str) -> sa.CursorResult[*tuple[Any, ...]]:
    """Run SQL built with :func:`quote_path` and no parameters. Not through ``sa.text()``,
    which would read ``:x`` inside a quoted name as a bind parameter and double ``%`` again;
    the preparer has already doubled ``%`` for drivers that format with it (psycopg, PyMySQL).
    """
    return conn.exec_driver_sql(sql)


def quote_path(conn: sa.Connection, *parts: str) -> str:
    """Parts quoted by the connection's dialect and joined: ``"main"."my table"``."""
    quote = conn.dialect.identifier_preparer.quote_identifier
    return ".".join(quote(part) for part in parts)


def error_text(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's statement dump and background link."""
    orig = getattr(exc, "orig", None)
    error = orig if orig is not None else exc
    args: tuple[Any, ...] = getattr(error, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        return f"{args[1]} ({args[0]})"  # PyMySQL: (errno, message)
    text = str(error).strip()
    return text or type(exc).__name__


def failure(ref: ObjectRef, exc: BaseException | str) -> ObjectFailure:
    message = exc if isinstance(exc, str) else error_text(exc)
    return ObjectFailure(ref=ref, error=message, error_type="ObjectScanError")


def group_by_container(refs: Sequence[ObjectRef]) -> dict[tuple[str, ...], list[ObjectRef]]:
    """Refs grouped by their container path, groups and refs in first-seen order."""
    groups: dict[tuple[str, ...], list[ObjectRef]] = {}
    for ref in refs:
        groups.setdefault(ref.path[:-1], []).append(ref)
    return groups


def describe_in_batches(
    refs: Sequence[ObjectRef],
    run_batch: BatchFn,
    *,
    recoverable: tuple[type[BaseException], ...],
    batch_size: int = BATCH_SIZE,
) -> Iterator[Described]:
    """Yield one result per ref, in the order given.

    ``run_batch(container, refs)`` describes a chunk; if it raises one of ``recoverable``,
    every ref of the chunk is retried alone and a ref that still fails becomes an
    ``ObjectFailure``. Anything else (e.g. the connection is gone) propagates.
    """
    for container, group in group_by_container(refs).items():
        for start in range(0, len(group), batch_size):
            chunk = group[start : start + batch_size]
            try:
                found = run_batch(container, chunk)
            except recoverable as exc:
                logger.info(
                    "Batch describe of %d objects in %s failed (%s); retrying one by one",
                    len(chunk),
                    container,
                    error_text(exc),
                )
                yield from _describe_one_by_one(chunk, run_batch, recoverable)
                continue
            for ref in chunk:
                yield _result_for(ref, found)


def _describe_one_by_one(
    chunk: Sequence[ObjectRef],
    run_batch: BatchFn,
    recoverable: tuple[type[BaseException], ...],
) -> Iterator[Described]:
    for ref in chunk:
        try:
            found = run_batch(ref.path[:-1], [ref])
        except recoverable as exc:
            logger.warning("Could not describe %s: %s", ref.path, error_text(exc))
            yield failure(ref, exc)
            continue
        yield _result_for(ref, found)


def _result_for(ref: ObjectRef, found: Mapping[str, Described]) -> Described:
    result = found.get(ref.name)
    if result is None:
        return ObjectFailure(
            ref=ref,
            error=f"{ref.type.value.capitalize()} {ref.name!r} was not found (dropped?)",
            error_type="NotFoundError",
        )
    if result.ref != ref:  # keep the caller's ref so results can be matched to requests
        return replace(result, ref=ref)
    return result
