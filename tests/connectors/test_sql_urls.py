"""Which URLs the SQL connector takes, how it reads them, and how connecting fails."""

from __future__ import annotations

import time

import pytest

from sounding.connectors.sql import FACTORY, normalize_url
from sounding.domain.assets import AssetType, ObjectRef
from sounding.errors import ConnectionFailedError, UnsupportedSourceError
from tests.connectors.helpers import open_source


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mysql+pymysql"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql"),
        ("sqlite:///rel.db", "sqlite+pysqlite"),
    ],
)
def test_driverless_urls_get_our_driver(url: str, driver: str) -> None:
    assert FACTORY.accepts(url)
    assert normalize_url(url).drivername == driver


@pytest.mark.parametrize(
    ("url", "containers"),
    [
        ("postgresql://u@h/db", (AssetType.DATABASE, AssetType.SCHEMA)),
        ("mariadb://u@h/db", (AssetType.DATABASE,)),
        ("sqlite:////tmp/x.db", (AssetType.DATABASE,)),
    ],
)
def test_container_types_per_engine(url: str, containers: tuple[AssetType, ...]) -> None:
    with open_source(url) as source:
        assert source.kind == "sql"
        assert source.container_types == containers


@pytest.mark.parametrize("url", ["duckdb:///x.duckdb", "file:///tmp", "http://h/db", "orders"])
def test_other_urls_are_not_sql(url: str) -> None:
    assert not FACTORY.accepts(url)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgresql://u@host:notaport/db", "postgresql://user@host:5432/dbname"),
        ("postgresql://u@host:70000/db", "out of range"),
        ("postgresql+asyncpg://u@host/db", "postgresql+psycopg://"),
        ("mysql+mysqldb://u@host/db", "mysql+pymysql://"),
        ("sqlite://", "sqlite:///"),
        ("sqlite:///:memory:", "sqlite:///"),
    ],
)
def test_malformed_url_says_what_a_valid_one_looks_like(url: str, hint: str) -> None:
    with pytest.raises(UnsupportedSourceError) as err:
        open_source(url)
    assert hint in str(err.value)


def test_unreachable_host_fails_fast_without_leaking_the_password() -> None:
    started = time.monotonic()
    with (
        open_source("postgresql://scott:t1ger-s3cret@127.0.0.1:1/x") as source,
        pytest.raises(ConnectionFailedError) as err,
    ):
        source.test()
    assert time.monotonic() - started < 6
    message = str(err.value)
    assert message.startswith("Failed to connect to source 'shop': ")
    assert "127.0.0.1" in message
    assert "t1ger-s3cret" not in message
    assert "t1ger-s3cret" not in repr(err.value.__cause__)
    assert err.value.details == {"source": "shop"}
    assert err.value.__cause__ is not None


def test_unreachable_mysql_fails_to_connect() -> None:
    with open_source("mysql://root:pw@127.0.0.1:1/x") as source:
        with pytest.raises(ConnectionFailedError, match="Failed to connect to source 'shop'"):
            source.list_objects()
        with pytest.raises(ConnectionFailedError):
            list(source.describe([ObjectRef(AssetType.TABLE, ("x", "orders"))]))
