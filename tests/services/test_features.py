"""The governance features are packages the core loads by registration: every package under
``sounding/features`` is listed once, contributes through ``FEATURE``, brings its migrations,
and its step types reach the runtime without the core naming it."""

from __future__ import annotations

import pkgutil
from pathlib import Path
from typing import Any

import pytest

import sounding.features
from sounding.api.routes import ROUTES
from sounding.services import features
from sounding.store import migrations

FEATURES_DIR = Path(sounding.features.__file__).resolve().parent
ROUTES_DIR = FEATURES_DIR.parent / "api" / "routes"


def _packages() -> set[str]:
    return {m.name for m in pkgutil.iter_modules([str(FEATURES_DIR)]) if m.ispkg}


def test_every_feature_package_is_registered_once() -> None:
    names = [name.rpartition(".")[2] for name in features.DEFAULT_FEATURES]
    assert len(names) == len(set(names))
    assert set(names) == _packages() == {
        "access", "accounts", "alerts", "collections", "compliance", "custom_properties",
        "data_products", "domains", "glossary",
        "insights", "quality", "tag_taxonomy", "usage",
    }  # fmt: skip
    assert [f.name for f in features.load()] == names


def test_a_module_without_a_feature_is_refused() -> None:
    with pytest.raises(TypeError, match="FEATURE"):
        features.load(("sounding.features.quality.records",))


def test_each_feature_brings_its_migrations_and_the_store_finds_them() -> None:
    found = {p.parent.name for p in migrations.locations()[1:]}
    assert found == _packages()
    for folder in migrations.locations()[1:]:
        revisions = [p.name for p in folder.glob("*.py") if p.name != "__init__.py"]
        assert revisions, folder
        # a feature's revisions carry its name: the ids stores already record did not change
        assert all(r.startswith(f"{folder.parent.name}_") for r in revisions)
        assert (folder.parent / "tables.py").is_file()


def test_feature_step_types_are_bound_through_the_registry(ctx: Any) -> None:
    registry = ctx.step_types
    for name in ("quality", "compliance"):
        assert callable(registry.handler(name))


def test_a_registered_feature_binds_its_step_types(ctx: Any) -> None:
    """What ``step_types`` binds comes from the features' ``FEATURE``, not from a name in
    the core: with no features loaded, the feature step types are declared but unbound."""
    from sounding.errors import NotFoundError
    from sounding.orchestration.steps import StepTypeRegistry

    registry = StepTypeRegistry.default(allowed_modules=ctx.settings.allowed_callable_modules)
    with pytest.raises(NotFoundError):
        registry.handler("quality")
    for feature in features.load():
        if feature.bind_step_types is not None:
            feature.bind_step_types(ctx, registry)
    assert callable(registry.handler("quality"))
    assert callable(registry.handler("compliance"))


def test_every_route_module_is_mounted_from_routes() -> None:
    modules = {f"sounding.api.routes.{m.name}" for m in pkgutil.iter_modules([str(ROUTES_DIR)])}
    assert set(ROUTES) == modules
