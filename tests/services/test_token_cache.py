"""The per-process token cache of a PostgreSQL store: one store read per token a second,
changes made by this process at once, changes made by another process within ``CHECK_EVERY``;
a SQLite store is read for every request (issue 20)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.domain.auth import Principal, Role
from sounding.errors import AuthenticationError
from sounding.features.accounts import service as accounts
from sounding.features.accounts.tables import api_tokens
from sounding.services.context import build_context
from sounding.store.repos import utcnow
from tests.conftest import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pg_ctx(postgres_url: str, tmp_path: Path) -> Iterator[Any]:
    context = build_context(make_settings(tmp_path / "home", postgres_url))
    yield context
    context.close()


@pytest.fixture
def clock(any_ctx: Any) -> Clock:
    """A clock for ``any_ctx``'s token cache."""
    tick = Clock()
    accounts._token_caches.put(any_ctx.db, accounts.TokenCache(tick))
    return tick


@pytest.fixture
def pg_clock(pg_ctx: Any) -> Clock:
    tick = Clock()
    accounts._token_caches.put(pg_ctx.db, accounts.TokenCache(tick))
    return tick


def _viewer(ctx: Any, operator: Principal) -> tuple[str, int]:
    accounts.create_user(ctx, operator, "vera", "viewer")
    made = accounts.create_token(ctx, operator, "vera", "t")
    return made.token, made.id


@pytest.mark.postgres
def test_a_token_is_read_once_a_second(pg_ctx: Any, operator: Principal, pg_clock: Clock) -> None:
    token, _ = _viewer(pg_ctx, operator)
    cache = accounts.token_cache(pg_ctx)
    for _ in range(50):
        principal = accounts.authenticate(pg_ctx, token)
        assert (principal.name, principal.role) == ("vera", Role.VIEWER)
    assert cache.reads == 1
    # the first use wrote last_used_at; the cached entry knows, so nothing is written again
    assert accounts.check_token(pg_ctx, token)[1] is None
    assert accounts.check_cached_token(pg_ctx, token) is not None
    pg_clock.now += accounts.CHECK_EVERY
    assert accounts.check_cached_token(pg_ctx, token) is None  # due a read
    accounts.authenticate(pg_ctx, token)
    assert cache.reads == 2


def test_a_sqlite_store_is_read_for_every_request(
    ctx: Any, operator: Principal, tmp_path: Path
) -> None:
    token, token_id = _viewer(ctx, operator)
    for _ in range(5):
        accounts.authenticate(ctx, token)
    assert accounts.token_cache(ctx).reads == 5
    assert accounts.check_cached_token(ctx, token) is None
    other = build_context(make_settings(tmp_path / "home"))
    try:
        accounts.revoke_token(other, operator, token_id)
    finally:
        other.close()
    with pytest.raises(AuthenticationError, match="Invalid or revoked"):
        accounts.authenticate(ctx, token)  # another process's revocation, at once


def test_unknown_tokens_are_never_cached(any_ctx: Any, clock: Clock) -> None:
    cache = accounts.token_cache(any_ctx)
    for _ in range(3):
        with pytest.raises(AuthenticationError, match="Invalid or revoked"):
            accounts.authenticate(any_ctx, "snd_not-a-token")
    assert cache.reads == 3
    assert accounts.check_cached_token(any_ctx, "snd_not-a-token") is None
    with pytest.raises(AuthenticationError, match="Missing credentials"):
        accounts.check_cached_token(any_ctx, None)


def test_changes_made_here_take_effect_at_once(
    any_ctx: Any, operator: Principal, clock: Clock
) -> None:
    token, token_id = _viewer(any_ctx, operator)
    accounts.authenticate(any_ctx, token)
    accounts.update_user(any_ctx, operator, "vera", "steward", None)
    assert accounts.authenticate(any_ctx, token).role is Role.STEWARD
    accounts.update_user(any_ctx, operator, "vera", None, True)
    with pytest.raises(AuthenticationError):
        accounts.authenticate(any_ctx, token)
    accounts.update_user(any_ctx, operator, "vera", None, False)
    accounts.authenticate(any_ctx, token)
    rotated = accounts.rotate_token(any_ctx, operator, token_id)
    with pytest.raises(AuthenticationError):
        accounts.authenticate(any_ctx, token)
    accounts.authenticate(any_ctx, rotated.token)
    accounts.revoke_token(any_ctx, operator, rotated.id)
    with pytest.raises(AuthenticationError):
        accounts.authenticate(any_ctx, rotated.token)


@pytest.mark.postgres
def test_a_revocation_by_another_process_takes_effect_within_check_every(
    pg_ctx: Any, operator: Principal, pg_clock: Clock, tmp_path: Path
) -> None:
    token, token_id = _viewer(pg_ctx, operator)
    accounts.authenticate(pg_ctx, token)
    other = build_context(make_settings(tmp_path / "other", pg_ctx.settings.database_url))
    try:
        accounts.revoke_token(other, operator, token_id)
    finally:
        other.close()
    accounts.authenticate(pg_ctx, token)  # not yet: read less than CHECK_EVERY ago
    pg_clock.now += accounts.CHECK_EVERY
    with pytest.raises(AuthenticationError, match="Invalid or revoked"):
        accounts.authenticate(pg_ctx, token)


@pytest.mark.postgres
def test_a_cached_token_still_expires_on_time(
    pg_ctx: Any, operator: Principal, pg_clock: Clock
) -> None:
    token, token_id = _viewer(pg_ctx, operator)
    with pg_ctx.db.write() as conn:
        conn.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(expires_at=utcnow() + timedelta(seconds=0.5))
        )
    accounts.authenticate(pg_ctx, token)
    time.sleep(0.6)  # the cache's clock stands still: the token is still cached
    assert accounts.token_cache(pg_ctx).get(accounts.hash_token(token)) is not None
    with pytest.raises(AuthenticationError, match="expired"):
        accounts.check_cached_token(pg_ctx, token)
    with pytest.raises(AuthenticationError, match="expired"):
        accounts.authenticate(pg_ctx, token)
    assert accounts.token_cache(pg_ctx).reads == 1


def test_a_read_that_began_before_a_drop_is_not_kept() -> None:
    """A request reads a token while an admin revokes it: the revocation's drop() comes
    between the read and the put, and the older row must not be cached after it."""
    clock = Clock()
    cache = accounts.TokenCache(clock)
    row = {
        "token_id": 1,
        "user_id": 1,
        "name": "vera",
        "role": "viewer",
        "expires_at": None,
        "last_used_at": None,
    }
    generation, at = cache.generation, clock()
    cache.drop()  # the revocation commits while the row is being read
    seen = cache.put("digest", row, generation, at)
    assert seen.name == "vera"  # the request in flight still gets its answer
    assert cache.get("digest") is None  # but the next one reads the store again
    cache.put("digest", row, cache.generation, clock())
    assert cache.get("digest") is not None
    # a row read for a second stays trusted a second from when the read began
    clock.now += accounts.CHECK_EVERY
    assert cache.get("digest") is None
