"""The governance features the runtime loads, and what each contributes to it.

A feature is a package under ``sounding/features/`` (quality, glossary, compliance, usage,
insights, accounts, access) holding its records, service, repository, tables, migrations and step
types. The core never imports one by name: :data:`DEFAULT_FEATURES` lists them as module
names, the way datasette's ``DEFAULT_PLUGINS`` lists its built-in plugins, and each package
exposes one :class:`Feature` as ``FEATURE``. Adding a feature is one line here; its routes,
commands and pages are one line in the presentation's tuples (``api.routes.ROUTES``,
``cli.commands.COMMANDS``, ``ui.app.PAGES``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from sounding.domain.auth import Principal
    from sounding.domain.search import SearchDocument
    from sounding.orchestration.steps import StepTypeRegistry
    from sounding.services.context import Context

DEFAULT_FEATURES: tuple[str, ...] = (
    "sounding.features.quality",
    "sounding.features.compliance",
    "sounding.features.glossary",
    "sounding.features.insights",
    "sounding.features.accounts",
    "sounding.features.access",
    "sounding.features.usage",
    "sounding.features.domains",
    "sounding.features.data_products",
    "sounding.features.tag_taxonomy",
    "sounding.features.custom_properties",
    "sounding.features.collections",
    "sounding.features.alerts",
)

StepBinder = Callable[["Context", "StepTypeRegistry"], None]
ContextHook = Callable[["Context"], None]
ConnFigures = Callable[["Connection"], Mapping[str, int]]


class AssetTerms(Protocol):
    """The glossary terms shown and edited on an asset (``GET``/``PATCH /api/v1/assets``)."""

    def term_paths(self, conn: Connection, asset_id: int) -> list[str]: ...

    def term_path(self, conn: Connection, ref: str) -> str: ...

    def term_paths_many(
        self, conn: Connection, asset_ids: Sequence[int]
    ) -> dict[int, list[str]]: ...

    def edit_links(
        self,
        conn: Connection,
        actor: str,
        asset_id: int,
        add: Sequence[str],
        remove: Sequence[str],
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class CoverageQuery:
    """One coverage figure a feature adds to the home page and catalog analytics: the ids of
    the assets that have it (a column counts for its table)."""

    key: str  # e.g. "with_quality_rules"
    asset_ids: Callable[[], sa.Select[Any]]
    in_analytics: bool = True  # also in ``GET /api/v1/analytics/catalog`` (else home only)
    after: str | None = None  # the home page shows it after this figure (else last)


@dataclass(frozen=True, slots=True)
class AnalyticsWindow:
    """The window of a catalog analytics read: ``days`` UTC days from ``since_day``."""

    since_day: date
    since: datetime
    days: int


@dataclass(frozen=True, slots=True)
class SearchFields:
    """What a feature adds to the search documents of some assets, by asset id: words and
    names (a column's count for its table too) and the ranking inputs of tables, views and
    datasets (``SearchDocument``'s fields of the same names)."""

    glossary_terms: Mapping[int, Sequence[str]] = field(default_factory=dict)
    terms: Mapping[int, Sequence[str]] = field(default_factory=dict)
    popularity: Mapping[int, float] = field(default_factory=dict)
    quality: Mapping[int, float] = field(default_factory=dict)


class SearchSource(Protocol):
    """Documents a feature indexes besides assets (the glossary's terms): ``kind`` is their
    document type and their notes' kind in the search outbox."""

    kind: str

    def documents(
        self, conn: Connection, ids: Sequence[int]
    ) -> tuple[list[SearchDocument], set[int]]:
        """The documents of these ids, and the ids that no longer exist."""
        ...

    def ids_after(self, conn: Connection, after: int, limit: int) -> list[int]:
        """Up to ``limit`` ids after ``after``, in order (a rebuild pages through them)."""
        ...


SearchFieldsHook = Callable[["Connection", Sequence[int], Sequence[int]], SearchFields]
"""(conn, assets and their columns, the tables/views/datasets among them) -> fields."""


# the canonical name of a domain an asset is put in, or an error saying why it cannot be
DomainCheck = Callable[["Connection", str], str]
# refuses tags ``Principal`` may not apply to an asset (unknown or forbidden ones)
TagCheck = Callable[["Connection", "Principal", "Sequence[str]"], None]
# the custom properties to store on an asset of a type (given the ones it holds now), or an
# error naming the bad property
PropertyCheck = Callable[
    ["Connection", str, "Mapping[str, Any]", "Mapping[str, Any]"], "dict[str, Any]"
]


@dataclass(frozen=True, slots=True)
class CatalogRecords:
    """A kind of record a feature adds to the catalog export and import
    (``services/catalog_io.py``): ``fields`` its names besides ``kind`` (``json_fields`` the
    ones CSV writes as JSON text), ``export(conn)`` its records in a stable order (parents
    before children), ``check(conn, rec)`` raises ``InvalidInputError`` saying what to fix,
    ``apply(conn, actor, rec)`` writes what differs: ``created``, ``updated`` or
    ``unchanged``. ``after_assets``: its records name assets, so they come after them."""

    kind: str
    fields: tuple[str, ...]
    export: Callable[[Connection], list[dict[str, Any]]]
    check: Callable[[Connection, dict[str, Any]], None]
    apply: Callable[[Connection, str, dict[str, Any]], str]
    json_fields: tuple[str, ...] = ()
    after_assets: bool = False


@dataclass(frozen=True, slots=True)
class Prunable:
    """A table whose old rows retention deletes (``services/retention.py``): the rows whose
    ``at`` column (a timestamp or a date) is older than the cutoff of ``kind`` (a
    :class:`~sounding.services.retention.RetentionKind` value: ``usage``, ``audit``...), and,
    with ``only``, that also match it (e.g. delivered rows only). Its primary key (one column
    or several) picks each batch."""

    kind: str
    table: Callable[[], sa.Table]
    at: str  # the column holding the row's time
    only: Callable[[], sa.ColumnElement[bool]] | None = None


@dataclass(frozen=True, slots=True)
class Feature:
    """What one feature contributes to the runtime and the core's combined views.

    Every hook is optional and imports its feature's modules when called, so loading the
    registry imports no feature's service.

    - ``bind_step_types``: its workflow step types, bound to the context (called when
      ``ctx.step_types`` is first read; it must start nothing).
    - ``start``: what a server starts for it (``Context.start``), e.g. a flusher thread on a
      :class:`~sounding.services.context.RuntimePart`; ``Context.stop`` stops every part.
    - ``flush``: writes what it buffers in memory, before a read that must count it.
    - ``coverage``: coverage figures (home page, analytics).
    - ``analytics``: sections of ``GET /api/v1/analytics/catalog`` over a window.
    - ``metrics``: figures ``/metrics`` exports (read at scrape time).
    - ``todo``: what waits for a steward, counted (home page).
    - ``asset_terms``: the terms shown on and edited through an asset.
    - ``impact_rules``: the active rules on tables (change impact).
    - ``search_fields``: what it adds to the assets' search documents.
    - ``search_source``: documents of its own that search indexes (the glossary's terms).
    - ``check_asset_domain``: validates the domain an asset is put in (the domains feature:
      the name must be a domain's), inside the transaction that writes it.
    - ``check_asset_tags``: the tags an actor applies to an asset (the tag taxonomy).
    - ``catalog_records``: its kinds of record in the catalog export and import.
    - ``check_asset_properties``: the custom properties stored on an asset, checked against
      their typed definitions (custom properties).
    - ``prunable``: its tables that grow per event, pruned past their kind's retention.
    """

    name: str
    bind_step_types: StepBinder | None = None
    start: ContextHook | None = None
    flush: ContextHook | None = None
    coverage: tuple[CoverageQuery, ...] = ()
    analytics: Callable[[Connection, AnalyticsWindow], Mapping[str, object]] | None = None
    metrics: Callable[[Context, Connection], Mapping[str, object]] | None = None
    todo: ConnFigures | None = None
    asset_terms: Callable[[], AssetTerms] | None = None
    impact_rules: Callable[[Connection, Sequence[int]], list[dict[str, Any]]] | None = None
    search_fields: SearchFieldsHook | None = None
    search_source: Callable[[], SearchSource] | None = None
    check_asset_domain: DomainCheck | None = None
    check_asset_tags: TagCheck | None = None
    catalog_records: Callable[[], tuple[CatalogRecords, ...]] | None = None
    check_asset_properties: PropertyCheck | None = None
    prunable: tuple[Prunable, ...] = ()


@cache
def load(modules: tuple[str, ...] = DEFAULT_FEATURES) -> tuple[Feature, ...]:
    """The features of ``modules``, imported once per process, in the order listed."""
    found = []
    for name in modules:
        feature = getattr(importlib.import_module(name), "FEATURE", None)
        if not isinstance(feature, Feature):
            raise TypeError(f"{name} does not define FEATURE = Feature(...)")
        found.append(feature)
    return tuple(found)


def bind_step_types(ctx: Context, registry: StepTypeRegistry) -> None:
    """Every feature's step types into ``registry``."""
    for feature in load():
        if feature.bind_step_types is not None:
            feature.bind_step_types(ctx, registry)


def start(ctx: Context) -> None:
    """What a server starts for the features (``Context.start``)."""
    for feature in load():
        if feature.start is not None:
            feature.start(ctx)


def flush(ctx: Context) -> None:
    """Write what the features buffer in memory (before a read that counts it)."""
    for feature in load():
        if feature.flush is not None:
            feature.flush(ctx)


def prunable() -> tuple[Prunable, ...]:
    """Every feature's tables that retention prunes."""
    return tuple(p for f in load() for p in f.prunable)


def coverage() -> tuple[CoverageQuery, ...]:
    return tuple(q for f in load() for q in f.coverage)


def asset_terms() -> AssetTerms | None:
    """The provider of the terms on an asset (the glossary's), None without one."""
    return next((f.asset_terms() for f in load() if f.asset_terms is not None), None)


def search_sources() -> tuple[SearchSource, ...]:
    return tuple(f.search_source() for f in load() if f.search_source is not None)


def check_asset_domain(conn: Connection, name: str) -> str:
    """The name to store as an asset's domain: what the feature that owns domains says (its
    canonical spelling, or an error for an unknown domain); the name as given if none does."""
    for feature in load():
        if feature.check_asset_domain is not None:
            name = feature.check_asset_domain(conn, name)
    return name


def check_asset_tags(conn: Connection, actor: Principal, tags: Sequence[str]) -> None:
    """Every feature's check of the tags ``actor`` is applying to an asset (new ones only)."""
    if not tags:
        return
    for feature in load():
        if feature.check_asset_tags is not None:
            feature.check_asset_tags(conn, actor, tags)


@cache
def catalog_records() -> tuple[CatalogRecords, ...]:
    """The features' kinds of catalog export record, in the order the features are listed."""
    return tuple(r for f in load() if f.catalog_records is not None for r in f.catalog_records())


def check_asset_properties(
    conn: Connection,
    asset_type: str,
    values: Mapping[str, Any],
    stored: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The custom properties to store on an asset of ``asset_type`` that holds ``stored``
    now: what every feature that defines a schema for them makes of ``values`` (as given if
    none does)."""
    out = dict(values)
    for feature in load():
        if feature.check_asset_properties is not None:
            out = feature.check_asset_properties(conn, asset_type, out, stored or {})
    return out
