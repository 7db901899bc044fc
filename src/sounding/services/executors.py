"""Which executor runs workflow tasks, and how the services' step types run on a remote one.

The scan step types (``services.step_types`` and the features' own, such as ``quality``) plan
and run through closures over this process's :class:`Context`. On the Dask executor their
tasks stay closures here - each becomes a :class:`ServerTask` run in a thread of the server -
but every source they open is a :class:`~sounding.services.remote_sources.RemoteConnector`
whose calls (the reads of the source) run on the workers. The store is read and written in
this process only. See ``services/remote_sources.py`` and docs/operations.md.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from sounding.config import Settings
from sounding.domain.credentials import redact
from sounding.domain.health import ExecutorDescription
from sounding.errors import InvalidInputError, NotFoundError
from sounding.orchestration.executors.base import Executor, ServerTask
from sounding.orchestration.executors.dask import DaskExecutor, import_distributed
from sounding.orchestration.executors.local import LocalExecutor
from sounding.orchestration.steps import (
    StepContext,
    StepHandler,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
)
from sounding.services import step_types
from sounding.services.context import Context
from sounding.services.remote_sources import WORKER_KEY_ENV, RemoteOpener, new_worker_key, routed

logger = logging.getLogger(__name__)


def build_executor(settings: Settings) -> Executor:
    """The executor ``settings.executor`` names. A ``dask`` one is lazy: it connects (and,
    without a scheduler address, starts a local cluster) when the first task is submitted or
    :func:`connect` is called - so a process that only reads executions starts no cluster."""
    if settings.executor == "dask":
        env = {}
        if settings.dask_scheduler is None:  # our own LocalCluster: its workers get the key
            key = settings.dask_worker_key
            env[WORKER_KEY_ENV] = key.get_secret_value() if key else new_worker_key()
        return DaskExecutor(settings.dask_scheduler, lazy=True, worker_env=env)
    return LocalExecutor()


async def connect(executor: Executor) -> None:
    """Start a lazy executor now (the server does, so health reports its workers at once)."""
    if isinstance(executor, DaskExecutor):
        await executor.connect()


async def describe(executor: Executor) -> ExecutorDescription:
    """Name, whether it is started, workers and scheduler address of an executor (on the
    engine's loop). A lazy Dask executor not started yet reports no workers."""
    if isinstance(executor, DaskExecutor):
        try:
            found = await executor.describe()
        except Exception as exc:  # report, don't raise: this feeds the health probe
            logger.warning("Health check: Dask scheduler unreachable: %s", exc)
            return ExecutorDescription(
                executor.name, executor.scheduler_address, None, True, redact(str(exc))
            )
        return ExecutorDescription(
            str(found["name"]), found["scheduler"], found["workers"], executor.connected
        )
    workers = executor.workers if isinstance(executor, LocalExecutor) else None
    return ExecutorDescription(executor.name, None, workers, True)


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
    if not isinstance(executor, DaskExecutor):
        return registry
    opener = RemoteOpener(executor, worker_key(ctx.settings, executor))
    for name, handler in _handlers(registry).items():
        if before.get(name) is not handler:
            registry.register(name, _server_handler(handler, opener), replace=True)
    return registry


def _handlers(registry: StepTypeRegistry) -> dict[str, StepHandler]:
    found = {}
    for name in registry.names():
        try:
            found[name] = registry.handler(name)
        except NotFoundError:  # declared, not bound
            continue
    return found


def _server_handler(handler: StepHandler, opener: RemoteOpener) -> StepHandler:
    def remote(step: StepContext) -> StepPlan | Awaitable[StepPlan]:
        planned = handler(step)
        if inspect.isawaitable(planned):
            return _server_async(planned, opener)
        return _server_plan(planned, opener)

    return remote


async def _server_async(planned: Awaitable[StepPlan], opener: RemoteOpener) -> StepPlan:
    return _server_plan(await planned, opener)


def _server_plan(plan: StepPlan, opener: RemoteOpener) -> StepPlan:
    return StepPlan(ServerTask(functools.partial(_run_routed, plan.run, opener)), plan.tasks)


def _run_routed(fn: Any, opener: RemoteOpener, task: TaskContext) -> Any:
    with routed(opener):
        return fn(task)


def worker_key(settings: Settings, executor: DaskExecutor) -> str | None:
    """The key source URLs are sealed with for the workers: the configured one, else the one
    made for the executor's own local cluster."""
    if settings.dask_worker_key is not None:
        return settings.dask_worker_key.get_secret_value()
    return executor.worker_env.get(WORKER_KEY_ENV)
