"""Passwords and web UI sessions.

Passwords are hashed with argon2id (``argon2-cffi``, its default parameters: RFC 9106's
second recommendation) and never leave this module. A login makes a server-side session: the
browser's cookie carries a 256-bit random id, the store keeps its SHA-256 hash (like API
tokens), the user, a CSRF token and when it ends. Sessions end after
``SOUNDING_SESSION_IDLE`` without a request, at logout, on a password change and when the
user is disabled.

Failed logins are limited per user name and per client address (``Context.login_failures``);
the error never says whether the user exists, and an unknown user costs the same argon2
verification as a known one, so neither the message nor the time tells names apart.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sounding.domain.auth import Permission, Principal, Role
from sounding.domain.quality import parse_duration
from sounding.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)
from sounding.features.accounts import repo
from sounding.features.accounts.service import hash_token
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes any length; a bound keeps a request from costing more
_HASHER = PasswordHasher()
_TOUCH_EVERY = timedelta(minutes=1)
LOGIN_FAILED = "Wrong user name or password"


@dataclass(frozen=True)
class WebSession:
    """A live session: who, the CSRF token its forms carry, and when it ends."""

    principal: Principal
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    """A session just made by :func:`login`: ``cookie`` is shown once, to the browser."""

    cookie: str
    session: WebSession


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInputError(
            f"A password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters (got {len(password)})",
            field="password",
        )


def set_password(ctx: Context, actor: Principal, name: str, password: str) -> None:
    """Give ``name`` a password (admins for anyone, a user for themself); ends their
    sessions."""
    if actor.name != name:
        actor.require(Permission.ADMIN)
    check_password(password)
    hashed = _HASHER.hash(password)
    with ctx.db.write() as conn:
        row = repo.password_row(conn, name)
        if row is None:
            raise NotFoundError(f"User '{name}' not found", user=name)
        repo.set_password_hash(conn, row["id"], hashed)
        ended = repo.delete_user_sessions(conn, row["id"])
        audit.record(conn, actor.name, "user.set_password", "user", name, {"sessions_ended": ended})


def _idle(ctx: Context) -> timedelta:
    return timedelta(seconds=parse_duration(ctx.settings.session_idle, "SOUNDING_SESSION_IDLE"))


@functools.cache
def _dummy_hash() -> str:
    """Verified when the user does not exist, so an unknown name costs the same time."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(ctx: Context, name: str, password: str, address: str) -> NewSession:
    """Check a user name and password and open a session; :class:`AuthenticationError` with
    one message whatever was wrong, :class:`RateLimitedError` past the limits."""
    limits = ctx.login_failures
    user_key, address_key = name.strip().lower()[:200], address[:100]
    wait = max(limits.by_user.retry_after(user_key), limits.by_address.retry_after(address_key))
    if wait > 0:
        raise RateLimitedError(
            f"Too many failed logins; try again in {int(wait) + 1} s",
            retry_after=int(wait) + 1,
        )
    if len(password) > MAX_PASSWORD or len(name) > 200:
        raise AuthenticationError(LOGIN_FAILED)
    with ctx.db.read() as conn:
        row = repo.password_row(conn, name)
    stored = row["password_hash"] if row is not None and not row["disabled"] else None
    if row is None or not _verify(stored, password):
        limits.by_user.fail(user_key)
        limits.by_address.fail(address_key)
        logger.info("Failed web login for %r from %s", name[:100], address_key)
        raise AuthenticationError(LOGIN_FAILED)
    limits.by_user.clear(user_key)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + _idle(ctx)
    with ctx.db.write() as conn:
        if stored is not None and _HASHER.check_needs_rehash(stored):
            repo.set_password_hash(conn, row["id"], _HASHER.hash(password))
        repo.purge_sessions(conn, utcnow())
        repo.insert_session(conn, hash_token(cookie), row["id"], csrf, expires)
        audit.record(conn, row["name"], "session.login", "user", row["name"], {"from": address})
    principal = Principal(row["name"], Role(row["role"]), row["id"])
    return NewSession(cookie, WebSession(principal, csrf, expires))


def session(ctx: Context, cookie: str | None) -> WebSession | None:
    """The live session a cookie names, or None (none, unknown, expired, user disabled)."""
    if not cookie or len(cookie) > 100:
        return None
    with ctx.db.read() as conn:
        row = repo.find_session(conn, hash_token(cookie))
    if row is None:
        return None
    now = utcnow()
    expires: datetime = row["expires_at"]
    if expires <= now:
        return None
    if now - row["last_seen_at"] > _TOUCH_EVERY:  # sliding end, written at most once a minute
        expires = now + _idle(ctx)
        with ctx.db.write() as conn:
            repo.touch_session(conn, row["session_id"], now, expires)
    principal = Principal(row["name"], Role(row["role"]), row["user_id"])
    return WebSession(principal, row["csrf_token"], expires)


def csrf_matches(web: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(web.csrf_token, sent or "")


def logout(ctx: Context, cookie: str | None, who: str) -> None:
    if not cookie or len(cookie) > 100:
        return
    with ctx.db.write() as conn:
        if repo.delete_session(conn, hash_token(cookie)):
            audit.record(conn, who, "session.logout", "user", who, {})
