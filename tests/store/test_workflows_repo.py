"""Workflow definitions with history, and schedule ticks claimed once across servers, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest

from sounding.store import migrations
from sounding.store.db import Database
from sounding.store.repos import workflows as repo

T = TypeVar("T")
T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
SPEC = {"name": "nightly", "steps": [{"id": "a", "type": "noop", "config": {"ü": [1, 2.5]}}]}
SPEC2 = {**SPEC, "schedule": {"cron": "0 3 * * *"}}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = Database.from_url(store_url)
    migrations.upgrade(database.engine)
    yield database
    database.dispose()


def write(db: Database, work: Callable[..., T], *args: object, **kwargs: object) -> T:
    with db.write() as conn:
        return work(conn, *args, **kwargs)


def read(db: Database, work: Callable[..., T], *args: object, **kwargs: object) -> T:
    with db.read() as conn:
        return work(conn, *args, **kwargs)


def in_threads(n: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` in n threads released at once; re-raise the first failure."""
    barrier = threading.Barrier(n)
    results: list[T] = []
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait(10)
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# --- definitions and history ----------------------------------------------------------------


def test_put_versions_only_real_changes_and_keeps_history(db: Database) -> None:
    row, changed = write(db, repo.put, "nightly", SPEC, actor="ann", now=T0)
    assert changed and (row["version"], row["enabled"], row["created_by"]) == (1, True, "ann")
    assert row["created_at"] == T0 and row["created_at"].tzinfo is not None

    again, changed = write(db, repo.put, "nightly", SPEC, actor="bob")
    assert not changed and again["version"] == 1 and again["updated_by"] == "ann"

    later = T0 + timedelta(hours=1)
    row, changed = write(db, repo.put, "nightly", SPEC2, actor="bob", now=later)
    assert changed and (row["version"], row["updated_by"], row["updated_at"]) == (2, "bob", later)

    stored = read(db, repo.get, "nightly")
    assert stored is not None and stored["spec"] == SPEC2 and stored["version"] == 2
    assert stored["created_at"] == T0 and stored["created_by"] == "ann"
    history = read(db, repo.versions, "nightly")
    assert [(v["version"], v["spec"], v["created_by"]) for v in history] == [
        (2, SPEC2, "bob"), (1, SPEC, "ann")]  # fmt: skip
    first = read(db, repo.get_version, "nightly", 1)
    assert first is not None and first["spec"] == SPEC
    assert read(db, repo.get_version, "nightly", 3) is None
    assert read(db, repo.get, "other") is None and read(db, repo.versions, "other") == []


def test_enable_disable_list_and_delete(db: Database) -> None:
    for name in ["b", "a", "c"]:
        write(db, repo.put, name, {**SPEC, "name": name})
    assert write(db, repo.set_enabled, "b", False, actor="ann")
    assert not write(db, repo.set_enabled, "zz", False)
    assert [w["name"] for w in read(db, repo.list_workflows)] == ["a", "b", "c"]
    assert [w["name"] for w in read(db, repo.list_workflows, enabled=True)] == ["a", "c"]
    assert [w["name"] for w in read(db, repo.list_workflows, enabled=False)] == ["b"]
    off = read(db, repo.get, "b")
    assert off is not None and off["updated_by"] == "ann" and off["version"] == 1

    write(db, repo.claim_tick, "b", T0)
    assert write(db, repo.delete, "b") and not write(db, repo.delete, "b")
    assert read(db, repo.get, "b") is None and read(db, repo.versions, "b") == []
    assert read(db, repo.ticks, "b") == []
    assert [w["name"] for w in read(db, repo.list_workflows)] == ["a", "c"]


def test_concurrent_puts_from_several_servers_make_contiguous_versions(store_url: str) -> None:
    servers = [Database.from_url(store_url) for _ in range(4)]
    migrations.upgrade(servers[0].engine)
    try:
        in_threads(4, lambda i: write(servers[i], repo.put, "wf", {**SPEC, "params": {"i": i}}))
        history = read(servers[0], repo.versions, "wf")
        assert sorted(v["version"] for v in history) == [1, 2, 3, 4]
        current = read(servers[0], repo.get, "wf")
        assert current is not None and current["spec"] == history[0]["spec"]
    finally:
        for s in servers:
            s.dispose()


# --- schedule ticks ------------------------------------------------------------------------


def test_a_tick_is_claimed_once_whatever_the_time_zone(db: Database) -> None:
    assert write(db, repo.claim_tick, "wf", T0, claimed_by="server-1")
    assert not write(db, repo.claim_tick, "wf", T0, claimed_by="server-2")
    paris = T0.astimezone(timezone(timedelta(hours=2)))  # the same instant
    assert not write(db, repo.claim_tick, "wf", paris)
    assert write(db, repo.claim_tick, "wf", T0 + timedelta(days=1))
    assert write(db, repo.claim_tick, "other", T0)

    write(db, repo.set_tick_execution, "wf", paris, "e42")
    latest, first = read(db, repo.ticks, "wf")
    assert (first["tick_at"], first["claimed_by"], first["execution_id"]) == (
        T0, "server-1", "e42")  # fmt: skip
    assert latest["tick_at"] == T0 + timedelta(days=1) and latest["execution_id"] is None
    assert read(db, repo.last_tick, "wf") == T0 + timedelta(days=1)
    assert read(db, repo.last_tick, "nothing") is None

    assert write(db, repo.prune_ticks, T0 + timedelta(hours=1)) == 2
    assert [t["tick_at"] for t in read(db, repo.ticks, "wf")] == [T0 + timedelta(days=1)]


def test_claim_tick_racing_from_threads_has_exactly_one_winner(db: Database) -> None:
    for minute in range(3):
        tick = T0 + timedelta(minutes=minute)

        def claim(_: int, tick: datetime = tick) -> bool:
            return write(db, repo.claim_tick, "wf", tick)

        assert sorted(in_threads(8, claim)) == [False] * 7 + [True]
    assert len(read(db, repo.ticks, "wf")) == 3


def test_claim_tick_racing_between_servers_has_exactly_one_winner(store_url: str) -> None:
    """Servers share only the database: each has its own engine, pool and writer lock."""
    servers = [Database.from_url(store_url) for _ in range(6)]
    migrations.upgrade(servers[0].engine)
    try:
        claims = in_threads(
            6, lambda i: (i, write(servers[i], repo.claim_tick, "wf", T0, claimed_by=f"s{i}"))
        )
        winners = [i for i, won in claims if won]
        assert len(winners) == 1
        (tick,) = read(servers[0], repo.ticks, "wf")
        assert tick["claimed_by"] == f"s{winners[0]}"
    finally:
        for s in servers:
            s.dispose()
