"""The governance features the runtime loads, and what each contributes to it.

A feature is a package under ``sounding/features/`` (quality, glossary, compliance, usage,
insights, accounts) holding its records, service, repository, tables, migrations and step
types. The core never imports one by name: :data:`DEFAULT_FEATURES` lists them as module
names, the way datasette's ``DEFAULT_PLUGINS`` lists its built-in plugins, and each package
exposes one :class:`Feature` as ``FEATURE``. Adding a feature is one line here; its routes,
commands and pages are one line in the presentation's tuples (``api.routes.ROUTES``,
``cli.commands.COMMANDS``, ``ui.app.PAGES``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Connection

    from sounding.domain.auth import Principal
    from sounding.orchestration.steps import StepTypeRegistry
    from sounding.services.context import Context

DEFAULT_FEATURES: tuple[str, ...] = (
    "sounding.features.quality",
    "sounding.features.compliance",
    "sounding.features.glossary",
    "sounding.features.insights",
    "sounding.features.accounts",
    "sounding.features.usage",
    "sounding.features.domains",
    "sounding.features.data_products",
    "sounding.features.tag_taxonomy",
)

StepBinder = Callable[["Context", "StepTypeRegistry"], None]
# the canonical name of a domain an asset is put in, or an error saying why it cannot be
DomainCheck = Callable[["Connection", str], str]
# refuses tags ``Principal`` may not apply to an asset (unknown or forbidden ones)
TagCheck = Callable[["Connection", "Principal", "Sequence[str]"], None]


@dataclass(frozen=True, slots=True)
class Feature:
    """What one feature contributes to the runtime.

    ``bind_step_types`` registers the feature's workflow step types with their handlers bound
    to the context (called when ``ctx.step_types`` is first read; it must start nothing).
    ``check_asset_domain`` validates the domain an asset is put in (the domains feature:
    the name must be a domain's), inside the transaction that writes it;
    ``check_asset_tags`` the tags an actor applies to an asset (the tag taxonomy).
    """

    name: str
    bind_step_types: StepBinder | None = None
    check_asset_domain: DomainCheck | None = None
    check_asset_tags: TagCheck | None = None


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
