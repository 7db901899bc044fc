"""Pools, resources and per-source limits: the capacities workflow tasks draw from.

* **Pools** are stored (``/api/v1/pools``, ``sounding pool ...``): a step with ``pool: db``
  and ``pool_slots: 2`` waits until two of the pool's slots are free.
* **Resources** are settings (``SOUNDING_RESOURCES='{"memory_gb": 16}'``): a step with
  ``resources: {memory_gb: 4}`` waits until 4 are free.
* **Per-source limits**: ``SOUNDING_DEFAULT_SOURCE_LIMIT`` caps concurrent tasks on any one
  source across all executions; a source's ``max_concurrent`` option overrides it.

The engine of this process gets the stored values when it starts, after every change made
here, and before each execution it starts; a change made by another process (the CLI while a
server runs) reaches the server's engine before its next execution.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos import pools as repo
from sounding.store.repos import sources as sources_repo
from sounding.store.repos import workflows as workflows_repo

if TYPE_CHECKING:  # the engine loads when one starts, not with the catalog (sources use this)
    from sounding.orchestration.engine import Engine, EngineConfig

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_SLOTS = 100_000


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    slots: int
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class Capacities:
    """What the engine needs from the store: pool slots and per-source caps."""

    pools: Mapping[str, int]
    source_limits: Mapping[str, int]


def _pool(row: Mapping[str, Any]) -> Pool:
    return Pool(row["name"], row["slots"], row["created_at"], row["updated_at"], row["updated_by"])


def _check(name: str, slots: Any) -> int:
    if not NAME_RE.match(name):
        raise InvalidInputError(
            f"Invalid pool name {name!r}: use 1-100 letters, digits, '_', '-' or '.'",
            field="name",
        )
    if not isinstance(slots, int) or isinstance(slots, bool) or not 1 <= slots <= MAX_SLOTS:
        raise InvalidInputError(
            f"A pool needs a whole number of slots from 1 to {MAX_SLOTS}, not {slots!r}",
            field="slots",
        )
    return slots


def read_capacities(ctx: Context) -> Capacities:
    with ctx.db.read() as conn:
        pools = {r["name"]: r["slots"] for r in repo.list_pools(conn)}
        rows, _ = sources_repo.list_all(conn, limit=1_000_000, offset=0)
    limits = {
        r["name"]: int(r["options"]["max_concurrent"])
        for r in rows
        if (r["options"] or {}).get("max_concurrent") is not None
    }
    return Capacities(pools, limits)


def engine_config(ctx: Context) -> EngineConfig:
    """The engine's limits from the settings and the store."""
    from sounding.orchestration.engine import EngineConfig

    caps = read_capacities(ctx)
    return EngineConfig(
        pools=caps.pools,
        resources=dict(ctx.settings.resources),
        source_limits=caps.source_limits,
        default_source_limit=ctx.settings.default_source_limit,
        max_crashes=ctx.settings.task_max_crashes,
        lease_seconds=ctx.settings.execution_lease_seconds,
        heartbeat_seconds=ctx.settings.execution_heartbeat_seconds,
    )


async def apply_capacities(engine: Engine, caps: Capacities) -> None:
    """On the engine's loop: make its pools and source caps the stored ones."""
    for name in set(engine.rt.pools) - set(caps.pools):
        engine.set_pool(name, None)
    for name, slots in caps.pools.items():
        if engine.rt.pools.get(name) != slots:
            engine.set_pool(name, slots)
    engine.set_source_limits(caps.source_limits)


def refresh(ctx: Context) -> None:
    """Give this process's engine (if it has one) the stored pools and source caps."""
    host = ctx.running_engine
    if host is None:
        return
    host.call(apply_capacities(host.engine, read_capacities(ctx)))


async def refresh_async(ctx: Context, engine: Engine) -> None:
    """``refresh`` from the engine's own loop (the scheduler, before it starts a tick)."""
    await apply_capacities(engine, await asyncio.to_thread(read_capacities, ctx))


def pool_names(ctx: Context) -> frozenset[str]:
    with ctx.db.read() as conn:
        return frozenset(r["name"] for r in repo.list_pools(conn))


# -- use cases ------------------------------------------------------------------------------


def list_pools(ctx: Context, actor: Principal) -> list[Pool]:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        return [_pool(r) for r in repo.list_pools(conn)]


def get_pool(ctx: Context, actor: Principal, name: str) -> Pool:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = repo.get(conn, name)
    if row is None:
        raise NotFoundError(f"Pool '{name}' not found; see `sounding pool list`", pool=name)
    return _pool(row)


def create_pool(ctx: Context, actor: Principal, name: str, slots: Any) -> Pool:
    actor.require(Permission.SCAN_RUN)
    slots = _check(name, slots)
    with ctx.db.write() as conn:
        if not repo.create(conn, name, slots, actor=actor.name):
            raise ConflictError(f"A pool named '{name}' already exists", pool=name)
        audit.record(conn, actor.name, "pool.create", "pool", name, {"slots": slots})
    refresh(ctx)
    return get_pool(ctx, actor, name)


def update_pool(ctx: Context, actor: Principal, name: str, slots: Any) -> Pool:
    actor.require(Permission.SCAN_RUN)
    slots = _check(name, slots)
    with ctx.db.write() as conn:
        if not repo.update(conn, name, slots, actor=actor.name):
            raise NotFoundError(f"Pool '{name}' not found; see `sounding pool list`", pool=name)
        audit.record(conn, actor.name, "pool.update", "pool", name, {"slots": slots})
    refresh(ctx)
    return get_pool(ctx, actor, name)


def delete_pool(ctx: Context, actor: Principal, name: str) -> None:
    """Delete a pool no stored workflow names (409 naming them otherwise)."""
    actor.require(Permission.SCAN_RUN)
    with ctx.db.write() as conn:
        users = [
            w["name"] for w in workflows_repo.list_workflows(conn) if name in _pools_of(w["spec"])
        ]
        if users:
            raise ConflictError(
                f"Pool '{name}' is used by workflow(s) {', '.join(users)}; change them first",
                pool=name,
                workflows=users,
            )
        if not repo.delete(conn, name):
            raise NotFoundError(f"Pool '{name}' not found; see `sounding pool list`", pool=name)
        audit.record(conn, actor.name, "pool.delete", "pool", name)
    refresh(ctx)


def _pools_of(spec: Mapping[str, Any]) -> set[str]:
    defaults = spec.get("defaults") or {}
    default = defaults.get("pool") if isinstance(defaults, Mapping) else None
    found = set()
    for step in spec.get("steps") or []:
        if isinstance(step, Mapping):
            pool = step.get("pool", default)
            if isinstance(pool, str):
                found.add(pool)
    return found
