"""Shared fixtures: sample databases, and real PostgreSQL / MariaDB databases made per test.

When ``SOUNDING_TEST_POSTGRES_URL`` / ``SOUNDING_TEST_MYSQL_URL`` are set (CI sets both), the
tests marked ``postgres`` / ``mysql`` must run: a failure to connect fails them, never skips.
Unset, the usual local server (``LOCAL_SERVERS``) is used when it answers, with a one-line
notice at the start of the run; when nothing answers they skip, saying what to set.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.testing.corpora import corpora_dir
from tests.factories import fresh_database_name

CORPORA = corpora_dir(Path(__file__).resolve().parents[1])
SAMPLE_DBS = CORPORA / "sample_dbs"


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"Test corpora not found at {CORPORA}; set SOUNDING_CORPORA")
    return CORPORA


@pytest.fixture(params=["chinook", "northwind", "sakila"])
def sample_db(request: pytest.FixtureRequest, corpora: Path) -> Path:
    return corpora / "sample_dbs" / f"{request.param}.sqlite"


# where PostgreSQL and MariaDB listen on a developer machine (and what .ci/run exports)
LOCAL_SERVERS = {
    "SOUNDING_TEST_POSTGRES_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "SOUNDING_TEST_MYSQL_URL": "mysql+pymysql://root@127.0.0.1:3306/test",
}
_MARKER_VARS = {"postgres": "SOUNDING_TEST_POSTGRES_URL", "mysql": "SOUNDING_TEST_MYSQL_URL"}
_probed: dict[str, str | None] = {}


def _local_server(var: str) -> str | None:
    """The usual local server for ``var`` if it accepts a connection (probed once a run)."""
    if var not in _probed:
        url = sa.engine.make_url(LOCAL_SERVERS[var])
        found = None
        try:
            with socket.create_connection((url.host or "127.0.0.1", url.port or 0), timeout=1):
                pass
            engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                found = LOCAL_SERVERS[var]
            finally:
                engine.dispose()
        except (OSError, sa.exc.SQLAlchemyError):
            found = None
        _probed[var] = found
    return _probed[var]


def _server_url(var: str) -> str:
    url = os.environ.get(var) or _local_server(var)
    if not url:
        pytest.skip(
            f"{var} is not set and nothing answers at {LOCAL_SERVERS[var]}; "
            f"start that server or `export {var}=...` to run this test"
        )
    return url


def pytest_collection_finish(session: pytest.Session) -> None:
    """Say, in one line per server, when the selected database tests use a local server found
    without its variable set."""
    wanted = {v for m, v in _MARKER_VARS.items() for item in session.items if m in item.keywords}
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for var in sorted(wanted):
        if not os.environ.get(var) and _local_server(var) and reporter is not None:
            reporter.write_line(
                f"{var} is not set: the {var.split('_')[2].lower()} tests use the local server "
                f"at {LOCAL_SERVERS[var]}"
            )


def _fresh_database(server_url: str, quote: str) -> Iterator[str]:
    name = fresh_database_name()
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    url = sa.engine.make_url(server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if admin.dialect.name == "postgresql":
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}")
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    yield from _fresh_database(_server_url("SOUNDING_TEST_POSTGRES_URL"), '"')


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """URL of a new, empty MariaDB/MySQL database, dropped after the test."""
    yield from _fresh_database(_server_url("SOUNDING_TEST_MYSQL_URL"), "`")


@pytest.fixture(scope="module")
def postgres_module_url() -> Iterator[str]:
    """Like ``postgres_url``: one database shared by the tests of a module that only read it."""
    yield from _fresh_database(_server_url("SOUNDING_TEST_POSTGRES_URL"), '"')


@pytest.fixture(scope="module")
def mysql_module_url() -> Iterator[str]:
    """Like ``mysql_url``: one database shared by the tests of a module that only read it."""
    yield from _fresh_database(_server_url("SOUNDING_TEST_MYSQL_URL"), "`")


DASK_WORKER_KEY = "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1zZWNyZXQ="
"""The worker key (``SOUNDING_DASK_WORKER_KEY``) of the test clusters' workers."""


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of two single-thread worker processes, one per module
    (skipped without the ``dask`` extra); its workers hold :data:`DASK_WORKER_KEY`."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        env={"SOUNDING_DASK_WORKER_KEY": DASK_WORKER_KEY},
    ) as found:  # fmt: skip
        yield found


# --- services over a real store ------------------------------------------------------------


def make_settings(home: Path, database_url: str | None = None) -> Any:
    from cryptography.fernet import Fernet

    from sounding.config import Settings

    return Settings(
        home=home,
        database_url=database_url,
        secret_key=Fernet.generate_key().decode(),
        allowed_callable_modules=["tests"],  # workflows in tests name tests.* functions
    )


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Any]:
    """Services over a fresh SQLite store."""
    from sounding.services.context import build_context

    context = build_context(make_settings(tmp_path / "home"))
    yield context
    context.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Services over each store backend: the contract suite runs against both."""
    from sounding.services.context import build_context

    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    context = build_context(make_settings(tmp_path / "home", url))
    yield context
    context.close()


@pytest.fixture
def operator() -> Any:
    from sounding.domain.auth import Principal, Role

    return Principal("tester", Role.ADMIN)


# --- a real server -------------------------------------------------------------------------


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`sounding serve` as a real process on a free port: (base URL, admin token, home)."""
    from sounding.testing.server import ServerProcess

    server = ServerProcess(tmp_path / "home")
    server.start()
    try:
        yield server.base, server.token, server.home
    finally:
        server.stop()
