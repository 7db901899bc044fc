"""PostgreSQL connections are pinged on checkout only after sitting idle (``PING_AFTER_IDLE``):
a connection the server dropped while idle is replaced before anyone uses it; one dropped
right after use fails once, as a store error (503) rather than an internal one, and the pool
is then renewed (issue 20: a ping on every checkout
was a round trip per request)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sounding.errors import StoreError
from sounding.store import db as store_db
from sounding.store.db import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    database = Database.from_url(postgres_url)
    yield database
    database.engine.dispose()


def _backend(database: Database) -> int:
    with database.read() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    finally:
        admin.dispose()


def _pings(database: Database) -> list[int]:
    """A list that grows by one for every ping the dialect makes."""
    made: list[int] = []
    dialect = database.engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        made.append(1)
        return ping(dbapi_connection)

    dialect.do_ping = counted  # type: ignore[method-assign]
    return made


def test_a_busy_connection_is_not_pinged(database: Database) -> None:
    pings = _pings(database)
    first = _backend(database)
    for _ in range(20):
        assert _backend(database) == first  # the same pooled connection, reused at once
    assert pings == []


def test_an_idle_connection_dropped_by_the_server_is_replaced_before_use(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE", 0.2)
    pings = _pings(database)
    dropped = _backend(database)
    _terminate(postgres_url, dropped)
    time.sleep(0.3)
    assert _backend(database) != dropped  # pinged, found gone, replaced: no error
    assert len(pings) == 1


def test_a_connection_dropped_right_after_use_fails_once_then_the_pool_is_renewed(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE", 60.0)
    dropped = _backend(database)
    _terminate(postgres_url, dropped)
    lost = r"Lost the connection to the metadata store.*retry it"
    with pytest.raises(StoreError, match=lost) as failed:
        _backend(database)  # a 503 saying to retry, not an internal error
    assert isinstance(failed.value.__cause__, sa.exc.DBAPIError)
    assert failed.value.__cause__.connection_invalidated
    assert _backend(database) != dropped


def test_a_write_on_a_dropped_connection_is_a_store_error_and_writes_nothing(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE", 60.0)
    with database.write() as conn:
        conn.execute(sa.text("CREATE TABLE t (x int)"))
    with database.read() as conn:
        dropped = int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
    _terminate(postgres_url, dropped)
    lost = pytest.raises(StoreError, match=r"Lost the connection.*nothing of this change was")
    with lost, database.write() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 0


def test_a_group_commit_that_lost_its_connection_is_retried_write_by_write(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run storage's group commit (issue 16) meets a dropped connection as any write may; the
    pool is renewed, so each write retried alone on a new connection lands."""
    from sounding.store.run_storage import SqlRunStorage, _Write

    monkeypatch.setattr(store_db, "PING_AFTER_IDLE", 60.0)
    with database.write() as conn:
        conn.execute(sa.text("CREATE TABLE t (x int)"))
    dropped = _backend(database)
    _terminate(postgres_url, dropped)

    def insert(x: int) -> _Write:
        def work(conn: sa.Connection) -> int:
            conn.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": x})
            return x

        return _Write(what=f"insert {x}", work=work)

    group = [insert(1), insert(2)]
    SqlRunStorage(database)._commit(group)
    assert [(w.value, w.error) for w in group] == [(1, None), (2, None)]
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 2]


def test_a_read_holds_no_transaction_open_and_a_write_still_does(
    database: Database, postgres_url: str
) -> None:
    """Reads run in autocommit (no BEGIN, no ROLLBACK: two round trips a request); the same
    pooled connection is back in transaction mode for the next write."""
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")

    def state(pid: int) -> str:
        with admin.connect() as conn:
            query = sa.text("SELECT state FROM pg_stat_activity WHERE pid = :p")
            return str(conn.execute(query, {"p": pid}).scalar_one())

    try:
        with database.read() as conn:
            pid = int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
            assert state(pid) == "idle"  # not "idle in transaction"
        with database.write() as conn:
            assert int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()) == pid
            assert state(pid) == "idle in transaction"
        with database.read() as conn:
            conn.execute(sa.text("SELECT 1"))
            assert state(pid) == "idle"
    finally:
        admin.dispose()


def test_a_connection_lost_in_the_commit_says_the_outcome_is_unknown(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE", 60.0)
    with (
        pytest.raises(StoreError, match="may or may not have been saved"),
        database.write() as conn,
    ):
        conn.execute(sa.text("SELECT 1"))
        _terminate(postgres_url, int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()))
