"""Step types: what a step of a given ``type`` does, and how it fans out into tasks.

A step type's handler is called once per step execution with a :class:`StepContext` and returns
a :class:`StepPlan`: the per-task function and the tasks (objects) to run it on, as a list, any
iterable or an async iterable (so a discovery listing thousands of tables streams them in).
``tasks=None`` means "one task per object of the upstream steps": with the ``pipeline``
strategy the task for object X starts as soon as the upstream task for X completed.

Built-in types register through the same path as a plugin: a plugin is a module or callable
exposing ``register_step_types(registry)``, named in :data:`DEFAULT_PLUGINS` or found in the
entry-point group ``sounding.step_types``. The scanning types (``discover``, ``profile`` ...)
are declared without a handler; the services layer binds theirs at start-up with
``registry.register(name, handler, replace=True)``.

A plugin may also register functions that workflows name as ``custom`` callables, planners or
skip conditions (``registry.register_callable(fn)``); nothing else is importable by name
unless the operator allows its module (see :mod:`sounding.orchestration.callables`).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterable, Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.orchestration.callables import CallablePolicy, CallableRef
from sounding.orchestration.spec import StepSpec
from sounding.orchestration.spec import TaskSpec as TaskSpec  # defined with the pure specs

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "sounding.step_types"
DEFAULT_PLUGINS = ("sounding.orchestration.builtin_steps",)


class TaskCancelledError(Exception):
    """Raised by :meth:`TaskContext.raise_if_cancelled`; ends the attempt as cancelled."""

    retryable = False


class TaskAbortedError(Exception):
    """A task raised a ``BaseException`` that is not an ``Exception`` (``SystemExit``,
    ``KeyboardInterrupt``): it fails that task, never the engine or a worker; not retried."""

    retryable = False

    @classmethod
    def of(cls, exc: BaseException) -> TaskAbortedError:
        return cls(f"the task raised {type(exc).__name__}: {exc}".rstrip(": "))


@dataclass(slots=True)
class TaskContext:
    """What a task function receives. ``inputs`` maps upstream step id to the result of the
    upstream task for the same object (or of its single task)."""

    execution_id: str
    step_id: str
    task_key: str
    attempt: int
    config: Mapping[str, Any]
    params: Mapping[str, Any]
    source: str | None = None
    payload: Any = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    cancel_event: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        """True once the task was asked to stop (cancel, timeout); check it between units."""
        return self.cancel_event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise TaskCancelledError(f"Task '{self.step_id}/{self.task_key}' was cancelled")


TaskFn = Callable[[TaskContext], Any]
"""Per-task function: ``async def`` runs on the event loop, a plain function in a worker."""


@dataclass(slots=True)
class StepPlan:
    run: TaskFn
    tasks: Iterable[TaskSpec | str] | AsyncIterable[TaskSpec | str] | None = None


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a handler receives to plan a step."""

    execution_id: str
    workflow: str
    step: StepSpec
    params: Mapping[str, Any]

    @property
    def config(self) -> Mapping[str, Any]:
        return self.step.config


StepHandler = Callable[[StepContext], "StepPlan | Awaitable[StepPlan]"]


class StepTypeRegistry:
    """Step type names and their handlers; a name may be declared before its handler exists."""

    def __init__(self, allowed_modules: Collection[str] = ()) -> None:
        self._handlers: dict[str, StepHandler | None] = {}
        self.callables = CallablePolicy()
        self.callables.allow_modules(allowed_modules)

    def register_callable(self, fn: CallableRef, name: str | None = None) -> str:
        """Let workflows name ``fn`` (as ``module:function``, or ``name``) in ``custom``
        steps and skip conditions; returns the name."""
        return self.callables.register(fn, name)

    def resolve_callable(self, path: str) -> CallableRef:
        """The allowed callable a workflow names; InvalidInputError for any other name."""
        return self.callables.resolve(path)

    def declare(self, name: str) -> None:
        """Make ``name`` a valid type in workflow files; its handler comes later."""
        self._handlers.setdefault(name, None)

    def register(self, name: str, handler: StepHandler, *, replace: bool = False) -> None:
        if self._handlers.get(name) is not None and not replace:
            raise ConflictError(f"Step type '{name}' has a handler already", step_type=name)
        self._handlers[name] = handler

    def names(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def handler(self, name: str) -> StepHandler:
        if name not in self._handlers:
            raise NotFoundError(f"Unknown step type '{name}'", step_type=name)
        found = self._handlers[name]
        if found is None:
            raise NotFoundError(
                f"Step type '{name}' has no handler in this process "
                "(the services layer binds it at start-up)",
                step_type=name,
            )
        return found

    def load_plugin(self, plugin: Any) -> None:
        """Call a plugin's ``register_step_types(registry)`` (a module or the function)."""
        hook = getattr(plugin, "register_step_types", plugin)
        if not callable(hook):
            raise InvalidInputError(f"Step type plugin {plugin!r} has no register_step_types")
        hook(self)

    @classmethod
    def default(
        cls, *, entry_point_plugins: bool = True, allowed_modules: Collection[str] = ()
    ) -> StepTypeRegistry:
        """Built-ins, then every plugin of the ``sounding.step_types`` entry-point group;
        ``allowed_modules`` are the operator's ``SOUNDING_ALLOWED_CALLABLE_MODULES``."""
        registry = cls(allowed_modules)
        for module in DEFAULT_PLUGINS:
            registry.load_plugin(importlib.import_module(module))
        if entry_point_plugins:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if ep.value in DEFAULT_PLUGINS:
                    continue
                try:
                    registry.load_plugin(ep.load())
                except Exception:
                    logger.exception("Failed to load step type plugin %r", ep.value)
        return registry
