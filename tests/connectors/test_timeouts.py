"""Statement timeouts on every connector: a slow or silent source fails with a timeout error
saying so, within the limit, instead of hanging the scan."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sounding.connectors.base import SourceConfig
from sounding.connectors.registry import default_registry
from sounding.domain.assets import AssetType, DiscoveredColumn, ObjectRef
from sounding.domain.profiling import SamplePolicy
from sounding.errors import SourceTimeoutError
from tests.faults.proxy import TcpProxy

SLOW_SQLITE = (  # a few hundred million steps: minutes unless interrupted
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000000) "
    "SELECT count(*) FROM n"
)


def _open(name: str, url: str, timeout: float, **options: object) -> object:
    config = SourceConfig(name, url, options=dict(options), statement_timeout=timeout)
    return default_registry().open(config)


def _timed(call: object) -> tuple[SourceTimeoutError, float]:
    started = time.monotonic()
    with pytest.raises(SourceTimeoutError) as info:
        call()  # type: ignore[operator]
    return info.value, time.monotonic() - started


def test_sqlite_statement_is_interrupted_at_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    sqlite3.connect(path).close()
    with _open("lite", f"sqlite:///{path}", 0.5) as connector:
        error, took = _timed(lambda: connector.run_quality_query(SLOW_SQLITE))
        assert "Source 'lite' did not answer within 0.5 s (statement timeout)" in error.message
        assert took < 3
        # the connector still works after the interrupt
        assert connector.run_quality_query("SELECT 1")[1] == [(1,)]


def test_duckdb_statement_is_interrupted_at_the_deadline(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "d.duckdb"
    duckdb.connect(str(path)).close()
    slow = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = 7"
    with _open("duck", f"duckdb:///{path}", 0.5) as connector:
        error, took = _timed(lambda: connector.run_quality_query(slow))
        assert "Source 'duck' did not answer within 0.5 s" in error.message
        assert took < 3


def test_source_options_check_timeouts(ctx: object, operator: object) -> None:
    from sounding.errors import InvalidInputError
    from sounding.services import sources

    for bad in (0, -1, "5", True, 10**9):
        with pytest.raises(InvalidInputError, match="statement_timeout"):
            sources.check_options({"statement_timeout": bad})
    assert sources.check_options({"statement_timeout": 2.5, "connect_timeout": 3}) == {
        "statement_timeout": 2.5,
        "connect_timeout": 3,
    }


@pytest.fixture
def pg_table(postgres_url: str) -> Iterator[str]:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id int, name text)")
        conn.exec_driver_sql("INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 100) g")
    engine.dispose()
    yield postgres_url


@pytest.mark.postgres
def test_postgres_slow_statement_is_cancelled_by_the_server(pg_table: str) -> None:
    with _open("pg", pg_table, 1) as connector:
        error, took = _timed(lambda: connector.run_quality_query("SELECT pg_sleep(30)"))
        assert "did not answer within 1 s" in error.message
        assert "engine cancelled" in error.message
        assert error.details["answered"] is True
        assert took < 3


@pytest.mark.postgres
def test_postgres_frozen_server_is_given_up_on(pg_table: str) -> None:
    url = sa.make_url(pg_table)
    proxy = TcpProxy(url.port or 5432)
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        ref = ObjectRef(AssetType.TABLE, (url.database or "", "public", "t"))
        cols = [
            DiscoveredColumn("id", "integer", True, 1),
            DiscoveredColumn("name", "text", True, 2),
        ]
        with _open("pg", proxied, 1) as connector:
            assert connector.profile(ref, cols, SamplePolicy.parse("full")).row_count == 100
            proxy.freeze()
            error, took = _timed(lambda: connector.profile(ref, cols, SamplePolicy.parse("full")))
            # the connector asks a silent source nothing more: the next object fails at once
            again, again_took = _timed(lambda: connector.sample(ref, ["id"]))
        assert "Source 'pg' did not answer within 1 s" in error.message
        assert "check that the source is up" in error.message
        assert took < 5
        assert again.message == error.message
        assert again_took < 0.5
    finally:
        proxy.close()


@pytest.mark.mysql
def test_mysql_frozen_server_times_out(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id int)")
    engine.dispose()
    url = sa.make_url(mysql_url)
    proxy = TcpProxy(url.port or 3306)
    try:
        proxied = url.set(port=proxy.port).render_as_string(False)
        with _open("maria", proxied, 1) as connector:
            assert connector.run_quality_query("SELECT 1")[1] == [(1,)]
            proxy.freeze()
            error, took = _timed(lambda: connector.run_quality_query("SELECT 2"))
        assert "Source 'maria' did not answer within 1 s" in error.message
        assert took < 5
    finally:
        proxy.close()


@pytest.mark.mysql
def test_mariadb_slow_statement_is_cancelled_by_the_server(mysql_url: str) -> None:
    with _open("maria", mysql_url, 1) as connector:
        error, took = _timed(
            lambda: connector.run_quality_query(
                "SELECT count(*) FROM information_schema.columns a, information_schema.columns b, "
                "information_schema.columns c"
            )
        )
        assert "did not answer within 1 s" in error.message
        assert took < 4


@pytest.mark.postgres
def test_postgres_freezing_between_statements_does_not_hang_the_rollback(pg_table: str) -> None:
    """A task that finished its queries still ends its transaction (and the pool rolls back a
    returned connection): that must not wait forever on a server that froze meanwhile."""
    url = sa.make_url(pg_table)
    proxy = TcpProxy(url.port or 5432)
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        connector = _open("pg", proxied, 1)
        started = time.monotonic()
        with (
            pytest.raises(SourceTimeoutError, match="did not answer within 1 s"),
            connector._connect() as conn,  # type: ignore[attr-defined]
        ):
            conn.exec_driver_sql("SELECT 1")
            proxy.freeze()
            conn.rollback()
        assert time.monotonic() - started < 5
        connector.close()
    finally:
        proxy.close()


def test_an_error_while_first_connecting_is_the_drivers_own(tmp_path: Path) -> None:
    """The dialect's first-connect queries run on a connection without ``info``: a driver
    error there (a source cut while connecting) reaches the caller as that error, not as the
    NotImplementedError the watchdog's error hook used to raise in its place."""
    from sounding.connectors.sql_engine import watch_statements

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'cut.db'}")
    watch_statements(engine, 5.0, lambda _dbapi: None)
    initialize = engine.dialect.initialize

    def cut_while_initializing(connection: sa.Connection) -> None:
        initialize(connection)
        connection.exec_driver_sql("SELECT * FROM gone_while_connecting")

    engine.dialect.initialize = cut_while_initializing  # type: ignore[method-assign]
    with pytest.raises(sa.exc.OperationalError, match="gone_while_connecting"):
        engine.connect()
    engine.dispose()
