"""One record per SQL backend, and the registry that finds one by name, URL or scheme. Pure.

Everything Sounding knows about a SQL backend that is not I/O lives in its record
(:class:`Dialect`): the URL schemes it answers and the SQLAlchemy driver it uses, the
sqlglot dialect that parses its SQL, how it quotes identifiers and writes literals, how a
quality rule's regex is spelled, what its profiling SQL looks like (:class:`ProfilingSql`),
and the few facts the services need (default port, OpenLineage namespace scheme, whether the
URL names a local file). The connectors, the scanning stages and the services look these up
instead of branching on backend names.

The built-in records are one module each (``sqlite``, ``postgresql``, ``mysql``, ``duckdb``),
listed in :data:`DEFAULT_DIALECTS`; a new backend is one more module and one more entry there
(or a :func:`register_dialect` call from a plugin).
"""

from __future__ import annotations

import importlib
import math
import threading
from dataclasses import dataclass
from typing import Any

DEFAULT_DIALECTS = (
    "sounding.domain.dialects.sqlite:SQLITE",
    "sounding.domain.dialects.postgresql:POSTGRESQL",
    "sounding.domain.dialects.mysql:MYSQL",
    "sounding.domain.dialects.duckdb:DUCKDB",
)
"""The built-in backends, in lookup order (``module:attribute``)."""


@dataclass(frozen=True, slots=True)
class ProfilingSql:
    """How a backend's profiling SQL is spelled. Templates take one ``{}``: a column."""

    float_type: str  # CAST(x AS <float_type>)
    length: str  # character length of a text value
    epoch: str  # seconds since 1970 as a number, for dates and timestamps
    quantile: str | None = None  # exact quantiles; ``{quantiles}``: 0.25, 0.5, 0.75. None: sort
    approx_quantile: str | None = None  # the same, approximate
    stddev: bool = True  # has stddev_samp(); else computed from sum and sum of squares
    approx_distinct: str | None = None  # function name, e.g. approx_count_distinct
    value_counts: str | None = None  # aggregate giving a value -> count map (DuckDB histogram)
    value_histogram: bool = False  # histograms as histogram(bin number)
    no_equality: frozenset[str] = frozenset()  # types that cannot be counted DISTINCT


@dataclass(frozen=True, slots=True)
class Dialect:
    """One SQL backend: names, quoting, and its SQL differences.

    ``name`` is what quality targets and profiles call the backend; ``schemes`` are the URL
    schemes (and SQLAlchemy backend names) that mean it, the first being its own.
    """

    name: str
    title: str
    schemes: tuple[str, ...]
    sqlglot: str  # the sqlglot dialect that reads its SQL (and lineage's name for it)
    profiling: ProfilingSql
    driver: str | None = None  # SQLAlchemy drivername used; None: not through SQLAlchemy
    connector: str | None = None  # "module:attribute" of its SQL connector hooks (SqlBackend)
    drivers: frozenset[str] = frozenset({""})  # "+driver" parts accepted as written
    identifier_quote: str = '"'
    backslash_escapes: bool = False  # string literals read backslash escapes (MySQL)
    booleans: tuple[str, str] = ("FALSE", "TRUE")
    regex: str = "{column} REGEXP {pattern}"  # a value matching (searching) a pattern literal
    regex_flags: str = ""  # put before every pattern, e.g. "(?-i)": case-sensitive
    default_port: int | None = None
    openlineage: str = ""  # OpenLineage namespace scheme; "" means the name
    local_file: bool = False  # its URLs name a file or folder on this machine
    database_in_relation: bool = True  # False: a connection sees one database (PostgreSQL)
    percent_format: bool = False  # the driver formats with %: a literal % is written %%
    read_only: str | None = None  # statement that makes user SQL read-only (transaction/session)
    snapshot: str | None = None  # isolation level under which a profile's passes agree
    savepoints: bool = False  # a failed statement aborts the transaction: wrap in savepoints
    examples: tuple[str, ...] = ()  # source URLs shown in forms, help and error messages

    def quote(self, name: str) -> str:
        """An identifier, always quoted, so any name round-trips (quotes inside doubled)."""
        q = self.identifier_quote
        return q + name.replace(q, q + q) + q

    def quote_path(self, parts: tuple[str, ...] | list[str]) -> str:
        return ".".join(self.quote(part) for part in parts)

    def relation_parts(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """The parts of an object's path that name it inside a connection's database."""
        return path if self.database_in_relation else path[1:]

    def literal(self, value: Any) -> str:
        """A bool, finite number or text as a SQL literal of this backend."""
        if isinstance(value, bool):
            return self.booleans[int(value)]
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"not a finite number: {value}")
            return repr(value)
        text = str(value).replace("'", "''")
        if self.backslash_escapes:
            text = text.replace("\\", "\\\\")
        return f"'{text}'"

    def regex_match(self, column: str, pattern: str) -> str:
        """SQL true when ``column`` (SQL text) contains a match of ``pattern`` (re.search)."""
        return self.regex.format(column=column, pattern=self.literal(self.regex_flags + pattern))


_lock = threading.Lock()
_registered: list[Dialect] = []
_loaded = False


def _load(spec: str) -> Dialect:
    module_name, _, attr = spec.partition(":")
    found: Dialect = getattr(importlib.import_module(module_name), attr)
    return found


def registered_dialects() -> tuple[Dialect, ...]:
    """Every registered backend: the built-ins first, then those registered since."""
    global _loaded
    if not _loaded:
        with _lock:
            if not _loaded:
                _registered[:0] = [_load(spec) for spec in DEFAULT_DIALECTS]
                _loaded = True
    return tuple(_registered)


def register_dialect(dialect: Dialect) -> None:
    """Add a backend (a plugin's); its name and schemes must not be taken already."""
    taken = {key for d in registered_dialects() for key in (d.name, *d.schemes)}
    clash = {dialect.name, *dialect.schemes} & taken
    if clash:
        raise ValueError(f"SQL dialect names already registered: {', '.join(sorted(clash))}")
    with _lock:
        _registered.append(dialect)


def unregister_dialect(name: str) -> None:
    """Remove a backend registered with :func:`register_dialect` (tests, plugin unloading)."""
    registered_dialects()
    with _lock:
        _registered[:] = [d for d in _registered if d.name != name]


def scheme_of(url_or_name: str) -> str:
    """``"postgresql+psycopg://u@h/db"`` -> ``"postgresql"``; a bare name, lower-cased."""
    head = url_or_name.split("://", 1)[0] if "://" in url_or_name else url_or_name
    return head.split(":", 1)[0].split("+", 1)[0].strip().lower()


def dialect_for(url_or_name: str | None) -> Dialect | None:
    """The backend of a URL, URL scheme, SQLAlchemy backend name or dialect name; None when
    no registered backend answers it."""
    if not url_or_name:
        return None
    key = scheme_of(url_or_name)
    for dialect in registered_dialects():
        if key == dialect.name or key in dialect.schemes:
            return dialect
    return None


def get_dialect(url_or_name: str) -> Dialect:
    """Like :func:`dialect_for`, for a name that must be known (KeyError otherwise)."""
    found = dialect_for(url_or_name)
    if found is None:
        known = ", ".join(d.name for d in registered_dialects())
        raise KeyError(f"No SQL dialect {url_or_name!r}; registered: {known}")
    return found


STANDARD_SQL = Dialect(
    name="ansi",
    title="standard SQL",
    schemes=(),
    sqlglot="",
    profiling=ProfilingSql(
        float_type="DOUBLE PRECISION",
        length="char_length({})",
        epoch="EXTRACT(EPOCH FROM {})",
    ),
)
"""What SQL is compiled for when a connector names a backend nobody registered (not in the
registry: it answers no URL)."""


def url_examples(*, sql_connector: bool = False) -> list[str]:
    """Example source URLs of every registered backend, in registry order (``sql_connector``:
    only those the SQL connector reads), for forms, help and error messages."""
    return [
        example
        for dialect in registered_dialects()
        if dialect.connector or not sql_connector
        for example in dialect.examples
    ]


def dialect_or_standard(name: str) -> Dialect:
    """The registered backend ``name``, or :data:`STANDARD_SQL`."""
    return dialect_for(name) or STANDARD_SQL
