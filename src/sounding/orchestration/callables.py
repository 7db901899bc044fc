"""Which Python callables a workflow may name, and resolving them.

A workflow names Python code in ``config.callable`` and ``config.plan`` of a ``custom`` step
and in ``skip_if[].callable``. A workflow is data sent by an API user, so a name is never
imported freely (``sys:exit`` or ``os:system`` would run in the server). A name resolves only
when it is

* a function a plugin registered (``registry.register_callable(fn)`` in its
  ``register_step_types``, loaded from the ``sounding.step_types`` entry-point group), or
* defined in a module the operator allowed with ``SOUNDING_ALLOWED_CALLABLE_MODULES`` (a
  module allows its submodules too; empty by default).

For a module-allowed name the resolved object itself must come from an allowed module, so a
name re-exported by an allowed module (``from os import system``) is refused as well.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sounding.errors import InvalidInputError

logger = logging.getLogger(__name__)

CallableRef = Callable[..., Any]


def split_path(path: str) -> tuple[str, str]:
    """``"pkg.module:function"`` (or ``pkg.module.function``) to (module, attribute)."""
    module, sep, attr = path.partition(":")
    if not sep:
        module, _, attr = path.rpartition(".")
    return module.strip(), attr.strip()


def path_of(fn: CallableRef) -> str:
    """The ``module:name`` a registered function is known by."""
    return f"{fn.__module__}:{getattr(fn, '__qualname__', getattr(fn, '__name__', '?'))}"


@dataclass(slots=True)
class CallablePolicy:
    """The allow-list: registered functions by name, and operator-allowed modules."""

    allowed_modules: tuple[str, ...] = ()
    registered: dict[str, CallableRef] = field(default_factory=dict)

    def register(self, fn: CallableRef, name: str | None = None) -> str:
        if not callable(fn):
            raise InvalidInputError(f"{fn!r} is not callable")
        key = name or path_of(fn)
        self.registered[key] = fn
        return key

    def allow_modules(self, modules: Iterable[str]) -> None:
        found = [m.strip() for m in modules if m and m.strip()]
        self.allowed_modules = tuple(dict.fromkeys([*self.allowed_modules, *found]))

    def _module_allowed(self, module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in self.allowed_modules)

    def allowed(self) -> list[str]:
        """What may be named, for error messages: registered names, then ``module:*``."""
        return [*sorted(self.registered), *(f"{m}:*" for m in self.allowed_modules)]

    def describe(self) -> str:
        allowed = self.allowed()
        if not allowed:
            return (
                "no callables are allowed on this server (plugins register them through the "
                "'sounding.step_types' entry points; an operator may allow modules with "
                "SOUNDING_ALLOWED_CALLABLE_MODULES)"
            )
        return "allowed: " + ", ".join(allowed)

    def problem(self, path: str) -> str | None:
        """Why ``path`` may not be named (None when it may); imports nothing."""
        if path in self.registered:
            return None
        module, attr = split_path(path)
        if module and attr and f"{module}:{attr}" in self.registered:
            return None
        if not module or not attr.isidentifier() or attr.startswith("_"):
            return f"'{path}' is not a module:function name; {self.describe()}"
        if not self._module_allowed(module):
            return f"callable '{path}' is not allowed; {self.describe()}"
        return None

    def resolve(self, path: str) -> CallableRef:
        """The allowed callable named ``path``; InvalidInputError for anything else."""
        module, attr = split_path(path)
        found = self.registered.get(path) or self.registered.get(f"{module}:{attr}")
        if found is not None:
            return found
        why = self.problem(path)
        if why is not None:
            raise InvalidInputError(why, path=path, allowed=self.allowed())
        try:
            target = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise InvalidInputError(f"Cannot import callable '{path}': {exc}", path=path) from exc
        origin = getattr(target, "__module__", None)
        if not isinstance(origin, str) or not self._module_allowed(origin):
            raise InvalidInputError(
                f"'{path}' is not a function defined in an allowed module (it comes from "
                f"{origin or 'no module'}); {self.describe()}",
                path=path,
                allowed=self.allowed(),
            )
        if not callable(target):
            raise InvalidInputError(f"'{path}' is not callable", path=path)
        return target  # type: ignore[no-any-return]
