"""The server backends of the contract: PostgreSQL and MariaDB/MySQL, one database per source
on the server the ``postgres_url`` / ``mysql_url`` fixtures point at (the fixture's own
database is the first source; more are made and dropped here)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.connectors.contract.backends import (
    SCHEMA,
    Backend,
    DuckdbBackend,
    FilesBackend,
    SqliteBackend,
    backtick,
    double_quote,
    shop_statements,
    views,
)
from tests.factories import fresh_database_name


class ServerBackend(Backend):
    """PostgreSQL or MariaDB: one database per source, made on the server of ``server_url``."""

    logins = True
    quote: Callable[[str], str] = staticmethod(double_quote)
    quote_char = '"'

    def __init__(self, tmp_path: Path, fresh_url: str) -> None:
        super().__init__(tmp_path)
        self.server_url = self.admin_url(fresh_url)
        self._fresh: str | None = fresh_url  # the conftest fixture's database: used first

    def _run(self, url: str, statements: list[str]) -> None:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                for statement in statements:  # no_parameters: '%' in names is no placeholder
                    conn.execution_options(no_parameters=True).exec_driver_sql(statement)
        finally:
            engine.dispose()

    def _rows(self, url: str, sql: str) -> list[tuple[Any, ...]]:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                return [
                    tuple(r)
                    for r in conn.execution_options(no_parameters=True).exec_driver_sql(sql)
                ]
        finally:
            engine.dispose()

    def _new_database(self) -> str:
        if self._fresh is not None:  # dropped by its fixture
            url, self._fresh = self._fresh, None
            return url
        name = fresh_database_name("contract")
        q = self.quote_char
        self._run_autocommit(f"CREATE DATABASE {q}{name}{q}")
        self._cleanups.append(lambda: self._drop_database(name))
        url = sa.make_url(self.server_url).set(database=name)
        return url.render_as_string(hide_password=False)

    def _run_autocommit(self, sql: str) -> None:
        admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            admin.dispose()

    @staticmethod
    def admin_url(url: str) -> str:
        """A URL of the same server not inside the database (which may be dropped)."""
        raise NotImplementedError

    def _drop_database(self, name: str) -> None:
        raise NotImplementedError

    def _counts(self, url: str, tables: list[tuple[Any, ...]]) -> object:
        counted = {}
        for schema, table in tables:
            relation = f"{self.quote(schema)}.{self.quote(table)}"
            try:
                counted[schema, table] = self._rows(url, f"SELECT count(*) FROM {relation}")
            except sa.exc.DBAPIError as exc:  # the broken view
                counted[schema, table] = [(type(exc.orig).__name__,)]
        return counted

    def database(self, url: str) -> str:
        return sa.make_url(url).database or ""

    def destroy(self, url: str) -> None:
        self._drop_database(self.database(url))


class PostgresBackend(ServerBackend):
    name = "postgres"
    broken_fails_describe = False
    broken_error = 'gone" does not exist'
    slow_sql = "SELECT pg_sleep(30)"
    prefix = double_quote(SCHEMA) + "."

    def create(self, label: str) -> str:
        url = self._new_database()
        gone = self.prefix + "gone"
        self._run(
            url,
            [
                f"CREATE SCHEMA {double_quote(SCHEMA)}",
                *shop_statements(double_quote, self.prefix),
                *views(double_quote, self.prefix)[:1],
                f"CREATE TABLE {gone} (x integer)",
                f"CREATE FUNCTION {self.prefix}read_gone() RETURNS SETOF integer "
                f"LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT x FROM {gone}; END $$",
                f"CREATE VIEW {self.prefix}broken AS SELECT x FROM {self.prefix}read_gone() AS x",
                f"DROP TABLE {gone}",
            ],
        )
        return url

    @staticmethod
    def admin_url(url: str) -> str:
        return sa.make_url(url).set(database="postgres").render_as_string(hide_password=False)

    def _drop_database(self, name: str) -> None:
        self._run_autocommit(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def path(self, url: str, name: str) -> tuple[str, ...]:
        return (self.database(url), SCHEMA, name)

    def drop_object(self, url: str, name: str) -> None:
        self._run(url, [f"DROP TABLE {self.prefix}{double_quote(name)} CASCADE"])

    def snapshot(self, url: str) -> object:
        tables = self._rows(
            url,
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
        )
        return self._counts(url, tables)

    def write_attempts(self, url: str, relation: Callable[[str], str]) -> list[str]:
        return [
            *super().write_attempts(url, relation),
            "COMMIT; CREATE TABLE intruder (x integer)",
            "ROLLBACK; SET TRANSACTION READ WRITE; CREATE TABLE intruder (x integer)",
            "SET default_transaction_read_only = off",
            "CREATE TABLE intruder (x integer)",
        ]

    def reader_url(self, url: str) -> str:
        role = f"sounding_reader_{uuid.uuid4().hex[:8]}"
        database = self.database(url)
        schema = double_quote(SCHEMA)
        self._run(
            url,
            [
                f"CREATE ROLE {role} LOGIN",
                f'REVOKE CREATE, TEMPORARY ON DATABASE "{database}" FROM PUBLIC',
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
                f"GRANT USAGE ON SCHEMA {schema} TO {role}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
            ],
        )
        self._cleanups.append(
            lambda: self._run(url, [f"DROP OWNED BY {role}", f"DROP ROLE {role}"])
        )
        return sa.make_url(url).set(username=role).render_as_string(hide_password=False)


class MysqlBackend(ServerBackend):
    name = "mysql"
    broken_error = ".broken' references invalid table(s) or column(s)"
    slow_sql = (
        "SELECT count(*) FROM information_schema.columns a, information_schema.columns b, "
        "information_schema.columns c"
    )
    quote = staticmethod(backtick)
    quote_char = "`"

    def create(self, label: str) -> str:
        url = self._new_database()
        self._run(url, shop_statements(backtick) + views(backtick))
        return url

    @staticmethod
    def admin_url(url: str) -> str:
        return sa.make_url(url)._replace(database=None).render_as_string(hide_password=False)

    def _drop_database(self, name: str) -> None:
        self._run_autocommit(f"DROP DATABASE IF EXISTS `{name}`")

    def path(self, url: str, name: str) -> tuple[str, ...]:
        return (self.database(url), name)

    def drop_object(self, url: str, name: str) -> None:
        self._run(url, [f"DROP TABLE {backtick(name)}"])

    def snapshot(self, url: str) -> object:
        tables = self._rows(
            url,
            "SELECT table_schema, table_name FROM information_schema.tables "
            f"WHERE table_schema = '{self.database(url)}' ORDER BY 1, 2",
        )
        return self._counts(url, tables)

    def write_attempts(self, url: str, relation: Callable[[str], str]) -> list[str]:
        return [
            *super().write_attempts(url, relation),
            "SET SESSION TRANSACTION READ WRITE",
            "CREATE TABLE intruder (x integer)",
            "CREATE TEMPORARY TABLE intruder (x integer)",
        ]

    def reader_url(self, url: str) -> str:
        user = f"sounding_reader_{uuid.uuid4().hex[:8]}"
        self._run(
            url,
            [
                f"CREATE USER '{user}'@'%'",
                f"GRANT SELECT, SHOW VIEW ON `{self.database(url)}`.* TO '{user}'@'%'",
            ],
        )
        self._cleanups.append(lambda: self._run(url, [f"DROP USER IF EXISTS '{user}'@'%'"]))
        return sa.make_url(url).set(username=user).render_as_string(hide_password=False)


SERVERS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]
ALL = ["sqlite", "duckdb", "files", *SERVERS]
"""Every backend of the contract, as test parameters (a server's marked with its marker);
the connector suite and the scan suite (``tests/services/test_scan_contract.py``) run on each."""
SERVER_FIXTURES = ("postgres", "mysql")  # the conftest fixture ``<name>_url`` gives its server


def backends(tmp_path: Path, name: str, server_url: str | None) -> Iterator[Backend]:
    """The builder called ``name`` (servers: on the server of ``server_url``), cleaned up after."""
    made: Backend
    if name == "postgres":
        assert server_url is not None
        made = PostgresBackend(tmp_path, server_url)
    elif name == "mysql":
        assert server_url is not None
        made = MysqlBackend(tmp_path, server_url)
    else:
        made = {"sqlite": SqliteBackend, "duckdb": DuckdbBackend, "files": FilesBackend}[name](
            tmp_path
        )
    try:
        yield made
    finally:
        made.cleanup()
