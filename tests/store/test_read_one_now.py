"""``Database.read_one_now``: the event loop's own SQLite connection for the token lookup on
every API request (issue 20). It must see every committed write at once (a revoked token is
refused on the next request), convert types as a normal read does, and refuse other threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sounding.features.accounts import repo
from sounding.features.accounts.service import hash_token
from sounding.store import migrations
from sounding.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    migrations.upgrade(database.engine)
    yield database
    database.dispose()


def _token(db: Database, secret: str, expires: datetime | None) -> int:
    with db.write() as conn:
        user_id = repo.insert_user(conn, "ana", "viewer")
        repo.insert_token(conn, user_id, hash_token(secret), secret[:8], "t", expires)
        row = repo.find_token(conn, hash_token(secret))
    assert row is not None
    return int(row["token_id"])


def test_same_row_as_a_read_transaction(db: Database) -> None:
    expires = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    _token(db, "secret-one", expires)
    fast = repo.find_token_now(db, hash_token("secret-one"))
    with db.read() as conn:
        slow = repo.find_token(conn, hash_token("secret-one"))
    assert fast == slow
    assert fast is not None and fast["expires_at"] == expires  # a datetime, in UTC
    assert fast["name"] == "ana" and fast["role"] == "viewer"
    assert repo.find_token_now(db, hash_token("no such token")) is None


def test_sees_each_commit_at_once(db: Database) -> None:
    token_id = _token(db, "secret-two", None)
    assert repo.find_token_now(db, hash_token("secret-two")) is not None
    with db.write() as conn:  # another connection of the pool revokes it
        repo.revoke_token(conn, token_id)
    assert repo.find_token_now(db, hash_token("secret-two")) is None
    # and a second process's write (a CLI `sounding token revoke` on the same file)
    other = Database.from_url(str(db.engine.url))
    try:
        with other.write() as conn:
            user_id = repo.insert_user(conn, "ben", "steward")
            repo.insert_token(conn, user_id, hash_token("secret-3"), "secret-3", "t", None)
    finally:
        other.dispose()
    found = repo.find_token_now(db, hash_token("secret-3"))
    assert found is not None and found["name"] == "ben"


def test_one_thread_only(db: Database) -> None:
    _token(db, "secret-four", None)
    assert repo.find_token_now(db, hash_token("secret-four")) is not None
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            repo.find_token_now(db, hash_token("secret-four"))
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "one thread" in str(errors[0])


@pytest.mark.postgres
def test_sqlite_only(postgres_url: str) -> None:
    database = Database.from_url(postgres_url)
    try:
        with pytest.raises(RuntimeError, match="SQLite"):
            repo.find_token_now(database, "x")
    finally:
        database.dispose()
