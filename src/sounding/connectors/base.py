"""The connector protocol: what every source kind (built-in or plugin) implements.

Discovery runs in three steps so that a scan can show progress and survive bad objects:

1. ``list_objects()`` lists every table, view and file (cheap; gives the total);
2. ``describe(refs)`` describes a batch of them, yielding a ``DiscoveredObject`` or an
   ``ObjectFailure`` per ref (one broken view never aborts the batch);
3. the scanning layer diffs the results against the catalog.

Connectors apply the source's include/exclude patterns to qualified names themselves
(``SourceConfig.matches``), so filtered objects are never read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sounding.connectors.deadlines import DEFAULT_STATEMENT_TIMEOUT
from sounding.domain.assets import (
    AssetType,
    DiscoveredColumn,
    DiscoveredObject,
    ObjectFailure,
    ObjectRef,
)
from sounding.domain.profiling import SamplePolicy, TableProfile
from sounding.domain.quality import QueryTarget
from sounding.errors import InvalidInputError

PATTERN_EXAMPLES = 3
"""How many names a warning about a pattern that matched nothing suggests."""


@dataclass
class PatternReport:
    """What the last :meth:`SourceConfig.select` found: a warning per pattern that matched
    nothing, naming a few names it could have matched."""

    warnings: list[tuple[str, str]] = field(default_factory=list)  # (include|exclude, text)


def _examples(pattern: str, names: Sequence[str]) -> str:
    """The names most like the pattern's text (``difflib``), else the first ones."""
    close = difflib.get_close_matches(pattern, names, n=PATTERN_EXAMPLES, cutoff=0.0)
    picked = close or sorted(names)[:PATTERN_EXAMPLES]
    return ", ".join(picked)


@dataclass(frozen=True)
class SourceConfig:
    """A named source as a connector sees it: the plain URL (secrets decrypted) and options."""

    name: str
    url: str = field(repr=False)  # decrypted: never in a repr, a log line or a traceback
    include: str | None = None
    exclude: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT
    """Seconds any one statement may take (see ``sounding.connectors.deadlines``)."""

    patterns: PatternReport = field(default_factory=PatternReport, compare=False, repr=False)

    def __post_init__(self) -> None:
        for label, pattern in (("include", self.include), ("exclude", self.exclude)):
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise InvalidInputError(
                        f"Invalid {label} pattern {pattern!r}: {exc}. Use a Python regex.",
                        field=label,
                    ) from exc

    def matches(self, path: tuple[str, ...]) -> bool:
        """Whether a name passes the include and exclude patterns (``re.search``).

        Patterns see the parts joined by dots, unquoted, as a person writes them:
        ``main.orders``, ``analytics.public.orders``, ``exports/orders.csv``.
        """
        text = ".".join(path)
        if self.include and not re.search(self.include, text):
            return False
        return not (self.exclude and re.search(self.exclude, text))

    def select(self, refs: Iterable[ObjectRef]) -> list[ObjectRef]:
        """The refs whose names pass the patterns, sorted by path. A pattern that matches no
        name at all leaves a warning in ``self.patterns`` naming a few it could have matched
        (a typo in ``--include`` must not look like an empty source)."""
        every = list(refs)
        names = [".".join(r.path) for r in every]
        included = names
        warnings: list[tuple[str, str]] = []
        if self.include:
            included = [n for n in names if re.search(self.include, n)]
            if names and not included:
                warnings.append(
                    (
                        "include",
                        f"include pattern {self.include!r} matched none of the {len(names)} "
                        f"objects, e.g. {_examples(self.include, names)}",
                    )
                )
        if self.exclude and included and not any(re.search(self.exclude, n) for n in included):
            warnings.append(
                (
                    "exclude",
                    f"exclude pattern {self.exclude!r} matched none of the {len(included)} "
                    f"objects, e.g. {_examples(self.exclude, included)}",
                )
            )
        self.patterns.warnings[:] = warnings
        return sorted((r for r in every if self.matches(r.path)), key=lambda r: r.path)


@dataclass(frozen=True)
class Capabilities:
    views: bool = True
    foreign_keys: bool = True
    row_count_estimates: bool = False
    files: bool = False


@runtime_checkable
class Connector(Protocol):
    """One open source. Use as a context manager; ``close()`` releases connections."""

    kind: str
    capabilities: Capabilities
    container_types: tuple[AssetType, ...]
    """What each container part of an ObjectRef path is, e.g. (DATABASE, SCHEMA) for
    PostgreSQL ("db", "public", "orders"), (DATABASE,) for SQLite ("main", "orders"),
    () for files (path = (relative file path,))."""

    def test(self) -> dict[str, Any]:
        """Connect and return facts (server version, databases); raise ConnectionFailedError."""
        ...

    def list_objects(self) -> list[ObjectRef]:
        """Every table, view and dataset passing the source's patterns, in a stable order."""
        ...

    def describe(self, refs: Sequence[ObjectRef]) -> Iterator[DiscoveredObject | ObjectFailure]:
        """Describe the refs (batched where the engine allows); one result per ref."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Connector: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class LoginChecker(Protocol):
    """A connector whose source has logins (a database server): it can say what is too
    powerful about the one it connects as (superuser, server file access)."""

    def login_warnings(self) -> list[str]: ...


class ConnectorFactory(Protocol):
    kind: str

    def accepts(self, url: str) -> bool:
        """Whether this factory handles the URL (by scheme)."""
        ...

    def create(self, config: SourceConfig) -> Connector: ...

    # A factory may also define ``check_url(url) -> None`` raising UnsupportedSourceError for a
    # malformed URL; the registry calls it whenever a source is added or its URL changed.


@runtime_checkable
class LocalSourceFactory(Protocol):
    """A factory whose sources are files or folders on this machine (SQLite, DuckDB, file
    folders): it names them, so the services can refuse the store and system paths."""

    def local_paths(self, url: str) -> list[Path]:
        """The resolved local paths a source with this URL reads (empty: none)."""
        ...


@runtime_checkable
class ResolvesLocalPaths(Protocol):
    """A factory whose URLs may name local files or folders (SQLite, DuckDB, files)."""

    def resolve_url(self, url: str) -> str:
        """The URL with its local path made absolute (resolved against the current
        directory), so later scans do not depend on where they run. Raises
        ``InvalidInputError`` when the file or folder does not exist."""
        ...


def missing_path(kind: str, path: Path) -> InvalidInputError:
    return InvalidInputError(f"{kind} not found: {path}", field="url", path=str(path))


@runtime_checkable
class Profiler(Protocol):
    """What a connector that can profile and sample implements (SQL, DuckDB, files).

    Both push the work down to the engine as SQL aggregates (DuckDB for files); rows are
    never pulled into Python except the bounded samples ``sample`` returns.
    """

    def profile(
        self, ref: ObjectRef, columns: Sequence[DiscoveredColumn], policy: SamplePolicy
    ) -> TableProfile:
        """Row count and per-column statistics of one table, view or dataset."""
        ...

    def sample(
        self, ref: ObjectRef, columns: Sequence[str], limit: int = 1000
    ) -> dict[str, list[object]]:
        """Up to ``limit`` distinct non-null values per column (most frequent first where
        cheap), for classification."""
        ...


@runtime_checkable
class QualityRunner(Protocol):
    """What a connector that runs data-quality checks implements (SQL, DuckDB, files).

    The scanning layer compiles rules into SQL for ``quality_target(ref).dialect``; the
    connector runs each statement read-only (a read-only file or ``SET TRANSACTION READ
    ONLY``) and returns at most ``max_rows`` rows. Failures raise ``ObjectScanError``.
    """

    def quality_target(self, ref: ObjectRef) -> QueryTarget:
        """The dialect and the table's relation as SQL text."""
        ...

    def run_quality_query(
        self, sql: str, max_rows: int = 100
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and up to ``max_rows`` rows of one read-only statement."""
        ...
