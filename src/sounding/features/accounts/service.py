"""Users, API tokens, authentication and the audit log.

Tokens are 256-bit random strings shown once; the store keeps only their SHA-256 hash,
unsalted (a salt or a slow password hasher defends guessable secrets; nobody can guess or
precompute 2^256 random values, and a slow hash would cost every request). Tokens expire
(``SOUNDING_TOKEN_EXPIRES_IN``, or per token) and rotate: a new token replaces an old one,
which stops working at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sounding.domain.accounts import AuditEntry, AuditFilter, NewToken, TokenInfo, User, UserToken
from sounding.domain.auth import Permission, Principal, Role
from sounding.domain.paging import Key
from sounding.domain.quality import parse_duration
from sounding.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from sounding.features.accounts import repo
from sounding.services.context import Context
from sounding.store.per_store import PerStore
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "snd_"  # noqa: S105 (a public marker, not a secret)
USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
_TOUCH_EVERY = timedelta(minutes=1)

CHECK_EVERY = 1.0
"""Seconds a looked-up token is trusted, on a PostgreSQL store, before the store is read for it
again: a token revoked, or a user disabled or given another role, by another process
(``sounding token revoke``, a second server) stops working within this long; by this one (the
API, the UI) at once. The policy cache (``features.access.service.CHECK_EVERY``) keeps the same
bound. A SQLite store is read for every request."""

MAX_CACHED_TOKENS = 10_000
"""Only live tokens are cached (an unknown one is read every time), so this bounds the cache
by the store's own token count; past it the cache starts again."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Seen:
    """A live token as the store answered for it, and when (``time.monotonic``)."""

    token_id: int
    user_id: int
    name: str
    role: Role
    expires_at: datetime | None
    last_used_at: datetime | None
    at: float


def _seen(row: dict[str, Any], at: float) -> _Seen:
    return _Seen(
        token_id=int(row["token_id"]),
        user_id=int(row["user_id"]),
        name=str(row["name"]),
        role=Role(row["role"]),
        expires_at=_aware(row["expires_at"]) if row["expires_at"] is not None else None,
        last_used_at=_aware(row["last_used_at"]) if row["last_used_at"] is not None else None,
        at=at,
    )


class TokenCache:
    """The live tokens of one PostgreSQL store looked up in the last :data:`CHECK_EVERY`
    seconds, by hash: a catalog's API serves the same few tokens all day, and reading the store
    for each request was a pooled connection, a thread-pool trip and a round trip per request
    (issue 20)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, _Seen] = {}
        self.generation = 0  # moved by every drop(): a read begun before it is not kept
        self.reads = 0  # how many times the store was read for a token (tests)

    def get(self, digest: str) -> _Seen | None:
        seen = self._seen.get(digest)
        if seen is None or self.clock() - seen.at >= CHECK_EVERY:
            return None
        return seen

    def put(self, digest: str, row: dict[str, Any], generation: int, at: float) -> _Seen:
        """``row``, read at ``at`` (taken before the read) when the cache was at
        ``generation``; kept only if nothing dropped the cache since: a revocation made while
        the row was being read must not be undone by the older row."""
        seen = _seen(row, at)
        with self._lock:
            if generation != self.generation:
                return seen
            if len(self._seen) >= MAX_CACHED_TOKENS:
                self._seen.clear()
            self._seen[digest] = seen
        return seen

    def touched(self, token_id: int, when: datetime) -> None:
        """Token ``token_id``'s ``last_used_at`` was written: the next check is not due."""
        with self._lock:
            for digest, seen in list(self._seen.items()):
                if seen.token_id == token_id:
                    self._seen[digest] = replace(seen, last_used_at=when)

    def drop(self) -> None:
        """Forget every token: something about tokens or users changed in this process."""
        with self._lock:
            self._seen.clear()
            self.generation += 1


_token_caches: PerStore[TokenCache] = PerStore(TokenCache)


def token_cache(ctx: Context) -> TokenCache:
    """The token cache of ``ctx``'s store (one per store per process)."""
    return _token_caches(ctx.db)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInputError(
            f"Unknown role {value!r}; choose one of: {choices}", field="role"
        ) from None


def _user(row: dict[str, Any]) -> User:
    return User(row["id"], row["name"], row["role"], row["created_at"], bool(row["disabled"]))


def _token_info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        prefix=row["prefix"],
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        replaced_by=row["replaced_by"],
    )


def create_user(ctx: Context, actor: Principal, name: str, role: str) -> User:
    actor.require(Permission.ADMIN)
    if not USER_RE.match(name):
        raise InvalidInputError(
            f"Invalid user name {name!r}: 1-100 letters, digits, '_', '.', '@' or '-'",
            field="name",
        )
    role_ = _role(role)
    with ctx.db.write() as conn:
        if repo.get_user(conn, name) is not None:
            raise ConflictError(f"A user named '{name}' already exists", user=name)
        repo.insert_user(conn, name, role_.value)
        audit.record(conn, actor.name, "user.create", "user", name, {"role": role_.value})
        row = repo.get_user(conn, name)
    assert row is not None
    return _user(row)


def list_users(ctx: Context, actor: Principal, limit: int, offset: int) -> tuple[list[User], int]:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        rows, total = repo.list_users(conn, limit, offset)
    return [_user(r) for r in rows], total


def update_user(
    ctx: Context, actor: Principal, name: str, role: str | None, disabled: bool | None
) -> User:
    actor.require(Permission.ADMIN)
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = _role(role).value
    if disabled is not None:
        values["disabled"] = disabled
    with ctx.db.write() as conn:
        row = repo.get_user(conn, name)
        if row is None:
            raise NotFoundError(f"User '{name}' not found", user=name)
        if values:
            repo.update_user(conn, row["id"], values)
        audit.record(conn, actor.name, "user.update", "user", name, {"fields": sorted(values)})
        new = repo.get_user(conn, name)
    token_cache(ctx).drop()
    assert new is not None
    return _user(new)


def expiry(ctx: Context, expires_in: str | None) -> datetime | None:
    """When a token made now expires: ``expires_in`` (``90d``, ``12h``, ``never``) or the
    ``SOUNDING_TOKEN_EXPIRES_IN`` default; None for never."""
    text = (expires_in or ctx.settings.token_expires_in).strip()
    if text.lower() == "never":
        return None
    seconds = parse_duration(text, "expires_in")
    if seconds > 100 * 365 * 86400:
        raise InvalidInputError(
            "expires_in is over 100 years; use 'never' for a token that does not expire",
            field="expires_in",
        )
    return utcnow() + timedelta(seconds=seconds)


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    ctx: Context,
    actor: Principal,
    user: str,
    name: str | None = None,
    expires_in: str | None = None,
) -> NewToken:
    """A new token for ``user``; the plain token is in the result and nowhere else."""
    actor.require(Permission.ADMIN)
    expires_at = expiry(ctx, expires_in)
    token = _new_token()
    with ctx.db.write() as conn:
        row = repo.get_user(conn, user)
        if row is None:
            raise NotFoundError(
                f"User '{user}' not found; create it with `sounding user create`", user=user
            )
        token_id = repo.insert_token(
            conn, row["id"], hash_token(token), token[:8], name or "", expires_at
        )
        audit.record(conn, actor.name, "token.create", "user", user, {"token_id": token_id})
    return NewToken(token_id, user, row["role"], token, expires_at)


def rotate_token(
    ctx: Context, actor: Principal, token_id: int, expires_in: str | None = None
) -> NewToken:
    """Replace a live token by a new one for the same user and name; the old one stops
    working at once. Admins rotate any token, users their own."""
    expires_at = expiry(ctx, expires_in)
    token = _new_token()
    with ctx.db.write() as conn:
        old = repo.get_token(conn, token_id)
        if old is None or (old["user_id"] != actor.user_id and not actor.can(Permission.ADMIN)):
            actor.require(Permission.ADMIN)  # someone else's token: only an admin may know
            raise NotFoundError(f"No token with id {token_id}", token_id=token_id)
        if old["revoked_at"] is not None:
            raise ConflictError(
                f"Token {token_id} is revoked; create a new one with `sounding token create "
                f"{old['user']}`",
                token_id=token_id,
            )
        new_id = repo.insert_token(
            conn, old["user_id"], hash_token(token), token[:8], old["name"] or "", expires_at
        )
        repo.mark_replaced(conn, token_id, new_id)
        audit.record(
            conn, actor.name, "token.rotate", "token", str(token_id), {"new_token_id": new_id}
        )
    token_cache(ctx).drop()
    return NewToken(new_id, old["user"], old["role"], token, expires_at, replaces=token_id)


def list_tokens(ctx: Context, actor: Principal, user: str) -> list[TokenInfo]:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        row = repo.get_user(conn, user)
        if row is None:
            raise NotFoundError(f"User '{user}' not found", user=user)
        return [_token_info(r) for r in repo.list_tokens(conn, row["id"])]


def list_all_tokens(
    ctx: Context, actor: Principal, limit: int, offset: int, *, live_only: bool = False
) -> tuple[list[UserToken], int]:
    """Every user's tokens, newest first (never the tokens themselves)."""
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        rows, total = repo.list_all_tokens(conn, limit, offset, live_only=live_only)
    return [UserToken(r["user"], r["role"], _token_info(r)) for r in rows], total


def revoke_token(ctx: Context, actor: Principal, token_id: int) -> None:
    actor.require(Permission.ADMIN)
    with ctx.db.write() as conn:
        if repo.revoke_token(conn, token_id) == 0:
            raise NotFoundError(f"No live token with id {token_id}", token_id=token_id)
        audit.record(conn, actor.name, "token.revoke", "token", str(token_id))
    token_cache(ctx).drop()


def authenticate(ctx: Context, token: str | None) -> Principal:
    principal, stale = check_token(ctx, token)
    if stale is not None:
        touch_token(ctx, stale)
    return principal


def check_token(
    ctx: Context, token: str | None, *, on_loop: bool = False
) -> tuple[Principal, int | None]:
    """The caller of ``token`` (at most one read, no write), and the token's id when its
    ``last_used_at`` is due an update (:func:`touch_token`), else None. On PostgreSQL a token
    looked up in the last :data:`CHECK_EVERY` seconds is not read again (:class:`TokenCache`). With
    ``on_loop`` (a SQLite store, called from the API's event loop) the read uses the loop's
    own connection (``Database.read_one_now``); the API sends only the rare touch to a worker
    thread."""
    digest = _digest(token)
    tokens = token_cache(ctx)
    # a SQLite store is read every time: on the event loop that is one indexed read of a
    # local file, and it sees another process's revocation at once; answered from the cache
    # instead, the loop kept the interpreter lock longer and a workflow running beside the
    # load took 1.55-1.58x its time alone instead of 1.43-1.46x (bench/load.py)
    seen = None if ctx.db.is_sqlite else tokens.get(digest)
    if seen is None:
        generation, at = tokens.generation, tokens.clock()
        if on_loop:
            row = repo.find_token_now(ctx.db, digest)
        else:
            with ctx.db.read() as conn:
                row = repo.find_token(conn, digest)
        tokens.reads += 1
        if row is None:
            raise AuthenticationError("Invalid or revoked API token")
        seen = _seen(row, at) if ctx.db.is_sqlite else tokens.put(digest, row, generation, at)
    return _caller(seen)


def check_cached_token(ctx: Context, token: str | None) -> tuple[Principal, int | None] | None:
    """:func:`check_token` without I/O: None when ``token`` was not looked up in the last
    :data:`CHECK_EVERY` seconds, or the store is SQLite (the caller then reads it with
    :func:`check_token`)."""
    if ctx.db.is_sqlite:
        _digest(token)
        return None
    seen = token_cache(ctx).get(_digest(token))
    return None if seen is None else _caller(seen)


def _digest(token: str | None) -> str:
    if not token:
        raise AuthenticationError(
            "Missing credentials: send 'Authorization: Bearer <token>' "
            "(create one with `sounding token create USER`)"
        )
    return hash_token(token)


def _caller(seen: _Seen) -> tuple[Principal, int | None]:
    now = utcnow()
    if seen.expires_at is not None and seen.expires_at <= now:
        raise AuthenticationError(
            f"API token expired at {seen.expires_at.isoformat()}; ask an admin for "
            "a new one (`sounding token create USER`)"
        )
    last = seen.last_used_at
    stale = last is None or (now - last) > _TOUCH_EVERY
    return Principal(seen.name, seen.role, seen.user_id), (seen.token_id if stale else None)


def touch_token(ctx: Context, token_id: int) -> None:
    """Record that token ``token_id`` was used now (at most every few minutes a token)."""
    when = utcnow()
    with ctx.db.write() as conn:
        repo.touch_token(conn, token_id, when)
    token_cache(ctx).touched(token_id, when)


def _aware(value: Any) -> Any:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ensure_admin(ctx: Context) -> str | None:
    """On a store with no users, create ``admin`` and return its token (shown once)."""
    with ctx.db.write() as conn:
        if repo.count_users(conn) > 0:
            return None
        user_id = repo.insert_user(conn, "admin", Role.ADMIN.value)
        token = _new_token()
        repo.insert_token(
            conn, user_id, hash_token(token), token[:8], "bootstrap", expiry(ctx, None)
        )
        audit.record(conn, "system", "user.create", "user", "admin", {"role": "admin"})
    return token


def audit_entries(
    ctx: Context,
    actor: Principal,
    limit: int,
    offset: int,
    user: str | None = None,
    action: str | None = None,
    after: Key | None = None,
    *,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEntry], int]:
    """Audit records newest first: from ``offset``, or after the key ``after`` of
    :data:`AUDIT_ORDER`; ``user`` is the actor, ``since``/``until`` bound the time."""
    actor.require(Permission.ADMIN)
    if since is not None and until is not None and since >= until:
        raise InvalidInputError(
            f"The time range is empty: 'from' ({since.isoformat()}) is not before 'to' "
            f"({until.isoformat()})",
            field="until",
        )
    with ctx.db.read() as conn:
        rows, total = audit.list_entries(
            conn, limit, offset, user, action, after, target=target, since=since, until=until
        )
    return [AuditEntry(**r) for r in rows], total


def search_audit(
    ctx: Context, actor: Principal, where: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """Audit records matching ``where``, newest first, from ``offset``."""
    return audit_entries(
        ctx,
        actor,
        limit,
        offset,
        where.actor,
        where.action,
        target=where.target,
        since=where.since,
        until=where.until,
    )


def audit_actions(ctx: Context, actor: Principal) -> list[str]:
    """The actions of the newest audit records (suggestions for the action filter, which
    takes any action)."""
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        return audit.recent_actions(conn)


AUDIT_ORDER = audit.AUDIT_ORDER
