"""Which executor runs workflow tasks, and step types that can run on remote workers.

The scan step types (``services.step_types``) plan and run through closures over this
process's :class:`Context` (engine, locks, caches), which cannot be pickled. For a remote
executor each of their plans keeps its task list (planned here) but its per-task function
becomes a :class:`RemoteStepTask`: a small picklable object (step type, workflow name, step
spec and the settings that open the store). On a worker it opens a Context from those settings
(once per worker process), binds the same step types to it through the same registry code the
local executor uses, plans the step there (cached per execution and step) and runs the task.
So every step type bound by the services layer - the scan stages and any added later - runs
unchanged on Dask.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from sounding.config import Settings
from sounding.domain.credentials import redact
from sounding.errors import InvalidInputError, NotFoundError
from sounding.orchestration.executors.base import Executor
from sounding.orchestration.executors.dask import DaskExecutor, import_distributed
from sounding.orchestration.executors.local import LocalExecutor
from sounding.orchestration.spec import StepSpec
from sounding.orchestration.steps import (
    StepContext,
    StepHandler,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
)
from sounding.services import step_types
from sounding.services.context import Context, build_context

logger = logging.getLogger(__name__)

PLANS_KEPT = 32  # per worker process: plans of the steps it ran tasks of lately


def build_executor(settings: Settings) -> Executor:
    """The executor ``settings.executor`` names. A ``dask`` one is lazy: it connects (and,
    without a scheduler address, starts a local cluster) when the first task is submitted or
    :func:`connect` is called - so a process that only reads executions starts no cluster."""
    if settings.executor == "dask":
        return DaskExecutor(settings.dask_scheduler, lazy=True)
    return LocalExecutor()


async def connect(executor: Executor) -> None:
    """Start a lazy executor now (the server does, so health reports its workers at once)."""
    if isinstance(executor, DaskExecutor):
        await executor.connect()


async def describe(executor: Executor) -> dict[str, Any]:
    """Name, whether it is started, workers and scheduler address of an executor (on the
    engine's loop). A lazy Dask executor not started yet reports no workers."""
    if isinstance(executor, DaskExecutor):
        try:
            return {**await executor.describe(), "started": executor.connected}
        except Exception as exc:  # report, don't raise: this feeds the health probe
            logger.warning("Health check: Dask scheduler unreachable: %s", exc)
            return {"name": executor.name, "scheduler": executor.scheduler_address,
                    "workers": None, "started": True, "error": redact(str(exc))}  # fmt: skip
    workers = executor.workers if isinstance(executor, LocalExecutor) else None
    return {"name": executor.name, "scheduler": None, "workers": workers, "started": True}


def with_executor(
    settings: Settings, executor: str | None = None, dask_scheduler: str | None = None
) -> Settings:
    """Settings with the executor choices of command-line flags applied (flags win)."""
    update: dict[str, Any] = {}
    if executor is not None:
        if executor not in ("local", "dask"):
            raise InvalidInputError(
                f"Unknown executor {executor!r}: use local or dask", executor=executor
            )
        update["executor"] = executor
    if dask_scheduler is not None:
        update["dask_scheduler"] = dask_scheduler
    found = settings.model_copy(update=update)
    if found.executor == "dask":
        import_distributed()  # fail now, naming the extra, not when the engine starts
    elif found.dask_scheduler and dask_scheduler is not None:
        raise InvalidInputError("--dask-scheduler needs --executor dask")
    return found


def local_step_types(ctx: Context) -> StepTypeRegistry:
    """Built-in and plugin step types with the services' handlers bound to ``ctx``: what
    ``ctx.step_types`` holds. Plain data; building it starts nothing."""
    registry = StepTypeRegistry.default(allowed_modules=ctx.settings.allowed_callable_modules)
    step_types.bind(ctx, registry)
    return registry


def step_types_for(ctx: Context, executor: Executor) -> StepTypeRegistry:
    """The registry an engine on ``executor`` runs: the context's own for the local executor;
    for a remote one a copy whose services step types plan picklable tasks."""
    if isinstance(executor, LocalExecutor):
        return ctx.step_types
    registry = StepTypeRegistry.default(allowed_modules=ctx.settings.allowed_callable_modules)
    before = _handlers(registry)
    step_types.bind(ctx, registry)
    store = StoreSettings.of(ctx.settings)
    for name, handler in _handlers(registry).items():
        if before.get(name) is not handler:
            registry.register(name, _remote_handler(name, handler, store), replace=True)
    return registry


def _handlers(registry: StepTypeRegistry) -> dict[str, StepHandler]:
    found = {}
    for name in registry.names():
        try:
            found[name] = registry.handler(name)
        except NotFoundError:  # declared, not bound
            continue
    return found


def _remote_handler(name: str, handler: StepHandler, store: StoreSettings) -> StepHandler:
    def remote(step: StepContext) -> StepPlan | Awaitable[StepPlan]:
        planned = handler(step)
        if inspect.isawaitable(planned):
            return _remote_async(planned, name, step, store)
        return StepPlan(RemoteStepTask(store, name, step.workflow, step.step), planned.tasks)

    return remote


async def _remote_async(
    planned: Awaitable[StepPlan], name: str, step: StepContext, store: StoreSettings
) -> StepPlan:
    plan = await planned
    return StepPlan(RemoteStepTask(store, name, step.workflow, step.step), plan.tasks)


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """What a worker needs to open the same store: URL, home, secret key (when the server
    has one set; otherwise the worker's own ``SOUNDING_SECRET_KEY`` or ``<home>/secret.key``)."""

    database_url: str
    home: str
    secret_key: SecretStr | None = None

    @classmethod
    def of(cls, settings: Settings) -> StoreSettings:
        return cls(settings.resolved_database_url(), str(settings.home), settings.secret_key)

    def settings(self) -> Settings:
        extra = {"secret_key": self.secret_key} if self.secret_key is not None else {}
        return Settings(database_url=self.database_url, home=self.home, **extra)  # type: ignore[arg-type]

    def cache_key(self) -> tuple[str, str, str | None]:
        key = self.secret_key.get_secret_value() if self.secret_key is not None else None
        return self.database_url, self.home, key


@dataclass(frozen=True, slots=True)
class RemoteStepTask:
    """The per-task function of a services step type, as sent to a worker."""

    store: StoreSettings
    step_type: str
    workflow: str
    step: StepSpec

    def __call__(self, task: TaskContext) -> Any:
        plan = _worker.plan(self, task)
        return plan.run(task)


class _WorkerState:
    """Per worker process: one Context and registry per store, recent plans."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bound: dict[tuple[str, str, str | None], StepTypeRegistry] = {}
        self._plans: OrderedDict[tuple[Any, ...], StepPlan] = OrderedDict()

    def registry(self, store: StoreSettings) -> StepTypeRegistry:
        key = store.cache_key()
        with self._lock:
            found = self._bound.get(key)
            if found is None:
                logger.info("Worker: opening the store %s", store.database_url.split("@")[-1])
                ctx = build_context(store.settings(), migrate=False)
                found = StepTypeRegistry.default()
                step_types.bind(ctx, found)
                self._bound[key] = found
            return found

    def plan(self, remote: RemoteStepTask, task: TaskContext) -> StepPlan:
        key = (remote.store.cache_key(), task.execution_id, remote.step.id, remote.step_type)
        with self._lock:
            found = self._plans.get(key)
            if found is not None:
                self._plans.move_to_end(key)
                return found
        step = StepContext(task.execution_id, remote.workflow, remote.step, task.params)
        planned = self.registry(remote.store).handler(remote.step_type)(step)
        plan = asyncio.run(_awaited(planned)) if inspect.isawaitable(planned) else planned
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > PLANS_KEPT:
                self._plans.popitem(last=False)
        return plan


async def _awaited(planned: Awaitable[StepPlan]) -> StepPlan:
    return await planned


_worker = _WorkerState()
