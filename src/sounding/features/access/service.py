"""Policies: create, list, delete; and the grants a request's principal carries.

A policy grants a user a role's scoped permissions (``domain.auth.policy_permissions``) on one
scope: ``domain``, ``source`` or ``data_product``. Admins manage policies; every change is
audited.

**The cache.** Every authenticated request needs its user's grants, so each process keeps all
policies in memory (a few hundred bytes each) and reads them again only when they change: a
change made in this process drops the cache at once; a change made by another process (a
second server worker, the CLI) raises ``access_state.generation`` in the store, which each
process compares at most once every :data:`CHECK_EVERY` seconds. A request thus costs no
query at all, and one tiny query per second per process at most.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sounding.domain.auth import (
    POLICY_ROLES,
    Grant,
    Permission,
    Principal,
    Role,
    Scope,
    ScopeKind,
    policy_permissions,
)
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.access import repo
from sounding.features.access.records import Policy
from sounding.services import catalog
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.per_store import PerStore
from sounding.store.repos import audit, utcnow

CHECK_EVERY = 1.0
"""Seconds between two checks of the store's policy generation (changes made by another
process take effect within this long; changes made in this one at once)."""

MAX_SCOPE_NAME = 200


def _policy(row: dict[str, Any]) -> Policy:
    return Policy(
        id=int(row["id"]),
        user=str(row["user"]),
        role=str(row["role"]),
        scope_kind=str(row["scope_kind"]),
        scope=str(row["scope_name"]),
        unmasked=bool(row["unmasked"]),
        description=row["description"],
        created_by=str(row["created_by"]),
        created_at=row["created_at"],
    )


# --- the per-process cache --------------------------------------------------------------------


class GrantCache:
    """Every user's grants, by user id, as of a store generation."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.by_user: dict[int, tuple[Grant, ...]] = {}
        self.generation: int | None = None  # None: never loaded, or dropped
        self.checked_at = float("-inf")
        self.loads = 0  # how many times the policies were read (tests, metrics)

    def drop(self) -> None:
        with self.lock:
            self.generation = None

    def cached(self, user_id: int) -> tuple[Grant, ...] | None:
        """:meth:`grants` without I/O: None when the store is due a check."""
        if self.generation is None or self.clock() - self.checked_at >= CHECK_EVERY:
            return None
        return self.by_user.get(user_id, ())

    def grants(self, ctx: Context, user_id: int) -> tuple[Grant, ...]:
        now = self.clock()
        if self.generation is not None and now - self.checked_at < CHECK_EVERY:
            return self.by_user.get(user_id, ())
        with self.lock:
            with ctx.db.read() as conn:
                current = repo.generation(conn)
                if current != self.generation:
                    by_user: dict[int, list[Grant]] = {}
                    perms = {}
                    for pid, holder, role, kind, name, unmasked in repo.grant_rows(conn):
                        key = (role, unmasked)
                        if key not in perms:
                            perms[key] = policy_permissions(Role(role), unmasked)
                        grant = Grant(Scope(ScopeKind(kind), name), perms[key], pid)
                        by_user.setdefault(holder, []).append(grant)
                    self.by_user = {k: tuple(v) for k, v in by_user.items()}
                    self.generation = current
                    self.loads += 1
            self.checked_at = now
            return self.by_user.get(user_id, ())


_caches: PerStore[GrantCache] = PerStore(GrantCache)


def cache(ctx: Context) -> GrantCache:
    """The grant cache of ``ctx``'s store (one per store per process)."""
    return _caches(ctx.db)


def attach_cached_grants(ctx: Context, principal: Principal) -> Principal | None:
    """:func:`attach_grants` without I/O: None when the cache is due a check of the store."""
    if principal.user_id is not None:
        grants = cache(ctx).cached(principal.user_id)
        if grants is None:
            return None
        principal.grants = grants
    return principal


def attach_grants(ctx: Context, principal: Principal) -> Principal:
    """Give ``principal`` (a user's) the grants of their policies, from the cache."""
    if principal.user_id is not None:
        principal.grants = cache(ctx).grants(ctx, principal.user_id)
    return principal


# --- use cases --------------------------------------------------------------------------------


def _check(role: str, scope_kind: str, scope: str) -> tuple[Role, ScopeKind, str]:
    roles = ", ".join(r.value for r in POLICY_ROLES)
    try:
        role_ = Role(role)
    except ValueError:
        raise InvalidInputError(f"Unknown role {role!r}; choose {roles}", field="role") from None
    if role_ not in POLICY_ROLES:
        raise InvalidInputError(
            f"A policy grants {roles} on a scope; {role_.value} is a global role only "
            "(`sounding user update NAME --role admin`)",
            field="role",
        )
    try:
        kind = ScopeKind(scope_kind)
    except ValueError:
        kinds = ", ".join(k.value for k in ScopeKind)
        raise InvalidInputError(
            f"Unknown scope kind {scope_kind!r}; choose {kinds}", field="scope_kind"
        ) from None
    name = scope.strip()
    if not name or len(name) > MAX_SCOPE_NAME:
        raise InvalidInputError(
            f"The scope name must be 1-{MAX_SCOPE_NAME} characters", field="scope"
        )
    return role_, kind, name


def create_policy(
    ctx: Context,
    actor: Principal,
    user: str,
    role: str,
    scope_kind: str,
    scope: str,
    *,
    unmasked: bool = False,
    description: str | None = None,
) -> Policy:
    """Grant ``user`` the scoped permissions of ``role`` on a scope. A source scope must name
    a registered source; a data-product scope needs the data products feature."""
    actor.require(Permission.ADMIN)
    role_, kind, name = _check(role, scope_kind, scope)
    if kind is ScopeKind.SOURCE:
        get_row(ctx, name)  # 404 naming the source when there is none
    if kind is ScopeKind.DATA_PRODUCT and not catalog.SCOPE_HOOKS:
        raise InvalidInputError(
            "No data products in this installation yet: a data_product scope takes effect "
            "once the data products feature places assets in products",
            field="scope_kind",
        )
    with ctx.db.write() as conn:
        user_id = repo.user_id(conn, user)
        if user_id is None:
            raise NotFoundError(
                f"User '{user}' not found; create it with `sounding user create`", user=user
            )
        if repo.find(conn, user_id, kind.value, name) is not None:
            raise ConflictError(
                f"User '{user}' already has a policy on {kind.value} '{name}'; delete it "
                "first to change it",
                user=user,
                scope=f"{kind.value}:{name}",
            )
        policy_id = repo.insert(
            conn,
            {
                "user_id": user_id,
                "role": role_.value,
                "scope_kind": kind.value,
                "scope_name": name,
                "unmasked": unmasked,
                "description": description,
                "created_by": actor.name,
                "created_at": utcnow(),
            },
        )
        repo.bump(conn)
        audit.record(
            conn,
            actor.name,
            "policy.create",
            "user",
            user,
            {
                "policy_id": policy_id,
                "role": role_.value,
                "scope": f"{kind.value}:{name}",
                "unmasked": unmasked,
            },
        )
        row = repo.get(conn, policy_id)
    cache(ctx).drop()
    assert row is not None
    return _policy(row)


def list_policies(
    ctx: Context,
    actor: Principal,
    limit: int,
    offset: int,
    *,
    user: str | None = None,
    scope_kind: str | None = None,
    scope: str | None = None,
) -> tuple[list[Policy], int]:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        rows, total = repo.list_policies(conn, limit, offset, user, scope_kind, scope)
    return [_policy(r) for r in rows], total


def get_policy(ctx: Context, actor: Principal, policy_id: int) -> Policy:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        row = repo.get(conn, policy_id)
    if row is None:
        raise NotFoundError(f"No policy with id {policy_id}", policy_id=policy_id)
    return _policy(row)


def delete_policy(ctx: Context, actor: Principal, policy_id: int) -> Policy:
    """Remove a policy; its grants stop at once in this process (within ``CHECK_EVERY``
    seconds in others)."""
    actor.require(Permission.ADMIN)
    with ctx.db.write() as conn:
        row = repo.get(conn, policy_id)
        if row is None:
            raise NotFoundError(f"No policy with id {policy_id}", policy_id=policy_id)
        repo.delete(conn, policy_id)
        repo.bump(conn)
        audit.record(
            conn,
            actor.name,
            "policy.delete",
            "user",
            str(row["user"]),
            {"policy_id": policy_id, "scope": f"{row['scope_kind']}:{row['scope_name']}"},
        )
    cache(ctx).drop()
    return _policy(row)
