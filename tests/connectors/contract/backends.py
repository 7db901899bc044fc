"""One builder per connector backend: a fresh source holding the contract's fixture objects.

Every builder creates the same logical objects in the engine's own DDL (or files):

- ``customers`` (``id`` primary key, ``name`` not null, ``score`` decimal with 2 nulls), 5 rows;
- ``orders`` (``id`` primary key, ``customer_id`` -> ``customers.id``, ``amount``), 200 rows;
- ``big_orders``: a view over ``orders`` (backends with views);
- one table per name of :data:`AWKWARD`, with columns (``<the same name>``, ``k``) and the two
  rows (name, 1), (name + "!", 2), so that reading the wrong object shows; ``quo"te.k``
  refers to ``Mixed Case.k``;
- ``broken``: a view whose underlying table was dropped. PostgreSQL refuses to drop a table a
  view reads, so there it is a view over a function that reads a dropped table (it is
  described from the catalog and fails when read); the files backend has a file that is not
  Parquet instead.

All of them live in a container with an awkward name (:data:`SCHEMA`) where the backend has
one to name (PostgreSQL and DuckDB schemas, a folder of the files source).
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

CUSTOMERS = [(1, "Ada", 1.5), (2, "Bob", None), (3, "Cy", 3.0), (4, "Di", None), (5, "Ed", 2.5)]
ORDERS = [(i, i % 5 + 1, i) for i in range(1, 201)]
AWKWARD = (
    "Mixed Case",
    'quo"te',
    "it's",
    "with space",
    "Ünïcødé",
    "select",
    "a.b",
    "50%",
    "a:b",
    "a[1]",  # a glob pattern for file readers: must not read "a1"
    "a1",
)
SCHEMA = 'Odd "Schema" ü'
TABLES = ("customers", "orders", *AWKWARD)


def awkward_rows(name: str) -> list[tuple[str, int]]:
    return [(name, 1), (name + "!", 2)]


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def _values(rows: list[tuple[Any, ...]]) -> str:
    return ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)


def shop_statements(q: Callable[[str], str], prefix: str = "") -> list[str]:
    """The fixture objects in SQL every backend here accepts; ``prefix`` qualifies names."""

    def t(name: str) -> str:
        return prefix + q(name)

    statements = [
        f"CREATE TABLE {t('customers')} (id INTEGER NOT NULL PRIMARY KEY, "
        "name VARCHAR(100) NOT NULL, score DECIMAL(10, 2))",
        f"CREATE TABLE {t('orders')} (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER, "
        f"amount INTEGER NOT NULL, FOREIGN KEY (customer_id) REFERENCES {t('customers')} (id))",
        f"INSERT INTO {t('customers')} VALUES {_values(CUSTOMERS)}",
        f"INSERT INTO {t('orders')} VALUES {_values(ORDERS)}",
    ]
    for name in AWKWARD:
        key = f", FOREIGN KEY (k) REFERENCES {t('Mixed Case')} (k)" if name == 'quo"te' else ""
        statements += [
            f"CREATE TABLE {t(name)} ({q(name)} VARCHAR(100), k INTEGER NOT NULL PRIMARY KEY{key})",
            f"INSERT INTO {t(name)} VALUES {_values(awkward_rows(name))}",
        ]
    return statements


def views(q: Callable[[str], str], prefix: str = "") -> list[str]:
    def t(name: str) -> str:
        return prefix + q(name)

    return [
        f"CREATE VIEW {t('big_orders')} AS SELECT id, amount FROM {t('orders')} WHERE amount > 100",
        f"CREATE TABLE {t('gone')} (x INTEGER)",
        f"CREATE VIEW {t('broken')} AS SELECT x FROM {t('gone')}",
        f"DROP TABLE {t('gone')}",
    ]


def double_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def backtick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def file_snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under root: (size, mtime in ns, sha256)."""
    return {
        str(p.relative_to(root)): (
            p.stat().st_size,
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class Backend:
    """A builder of fresh sources of one backend, and what the contract may expect of it."""

    name = ""
    views = True  # has views (``big_orders``)
    keys = True  # reports primary and foreign keys
    not_null = True  # reports NOT NULL
    broken_fails_describe = True  # the broken view fails discovery (else: when read)
    broken_error = ""  # a fragment of the engine's error the broken object fails with
    logins = False  # a server with logins: a read-only one can be made
    slow_sql = ""  # a statement that runs for minutes unless interrupted

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self._cleanups: list[Callable[[], None]] = []

    def create(self, label: str) -> str:
        """A new source with the fixture objects; its URL."""
        raise NotImplementedError

    def path(self, url: str, name: str) -> tuple[str, ...]:
        raise NotImplementedError

    def qualified(self, url: str, name: str) -> str:
        """The dotted name include/exclude patterns see."""
        return ".".join(self.path(url, name))

    def container(self, url: str) -> str:
        """The qualified name of the container every fixture object is in, with its
        separator: ``main.``, ``db.Odd "Schema" ü.``."""
        return ".".join(self.path(url, "x")[:-1]) + "."

    def drop_object(self, url: str, name: str) -> None:
        raise NotImplementedError

    def destroy(self, url: str) -> None:
        """Make the whole source disappear (file deleted, database dropped)."""
        raise NotImplementedError

    def snapshot(self, url: str) -> object:
        """Everything a write could change, to compare before and after."""
        raise NotImplementedError

    def write_attempts(self, url: str, relation: Callable[[str], str]) -> list[str]:
        """Statements that would write if the connection let them (``relation(name)``
        is the connector's own SQL for a fixture table)."""
        return [
            f"INSERT INTO {relation('customers')} (id, name) VALUES (99, 'intruder')",
            f"UPDATE {relation('customers')} SET name = 'intruder'",
            f"DELETE FROM {relation('orders')}",
            f"DROP TABLE {relation('orders')}",
            "CREATE TABLE intruder (x INTEGER)",
        ]

    def reader_url(self, url: str) -> str:
        """The URL of a login that can read the source and write nothing."""
        raise NotImplementedError

    def cleanup(self) -> None:
        for step in reversed(self._cleanups):
            step()


class SqliteBackend(Backend):
    name = "sqlite"
    broken_error = "no such table: main.gone"
    slow_sql = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000000) "
        "SELECT count(*) FROM n"
    )

    def create(self, label: str) -> str:
        folder = self.tmp / label
        folder.mkdir()
        path = folder / "shop.db"
        con = sqlite3.connect(path)
        for statement in shop_statements(double_quote) + views(double_quote):
            con.execute(statement)
        con.commit()
        con.close()
        return f"sqlite:///{path}"

    @staticmethod
    def _file(url: str) -> Path:
        return Path(url.removeprefix("sqlite:///"))

    def path(self, url: str, name: str) -> tuple[str, ...]:
        return ("main", name)

    def drop_object(self, url: str, name: str) -> None:
        con = sqlite3.connect(self._file(url))
        con.execute(f"DROP TABLE {double_quote(name)}")
        con.commit()
        con.close()

    def destroy(self, url: str) -> None:
        self._file(url).unlink()

    def snapshot(self, url: str) -> object:
        return file_snapshot(self._file(url).parent)

    def write_attempts(self, url: str, relation: Callable[[str], str]) -> list[str]:
        folder = self._file(url).parent
        return [
            *super().write_attempts(url, relation),
            f"ATTACH '{folder / 'intruder.db'}' AS intruder",
            f"ATTACH 'file:{folder / 'intruder2.db'}?mode=rwc' AS intruder",
            "PRAGMA user_version = 7",
        ]


class DuckdbBackend(Backend):
    name = "duckdb"
    broken_error = "Table with name gone does not exist"
    slow_sql = (
        "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = 7"
    )
    prefix = double_quote(SCHEMA) + "."

    def create(self, label: str) -> str:
        folder = self.tmp / label
        folder.mkdir()
        path = folder / "shop.duckdb"
        con = duckdb.connect(str(path))
        con.execute(f"CREATE SCHEMA {double_quote(SCHEMA)}")
        for statement in shop_statements(double_quote, self.prefix) + views(
            double_quote, self.prefix
        ):
            con.execute(statement)
        con.close()
        return f"duckdb:///{path}"

    @staticmethod
    def _file(url: str) -> Path:
        return Path(url.removeprefix("duckdb:///"))

    def path(self, url: str, name: str) -> tuple[str, ...]:
        return ("shop", SCHEMA, name)

    def drop_object(self, url: str, name: str) -> None:
        con = duckdb.connect(str(self._file(url)))
        con.execute(f"DROP TABLE {self.prefix}{double_quote(name)}")
        con.close()

    def destroy(self, url: str) -> None:
        for path in self._file(url).parent.iterdir():
            path.unlink()

    def snapshot(self, url: str) -> object:
        return file_snapshot(self._file(url).parent)

    def write_attempts(self, url: str, relation: Callable[[str], str]) -> list[str]:
        folder = self._file(url).parent
        return [
            *super().write_attempts(url, relation),
            f"COPY (SELECT 1 AS x) TO '{folder / 'intruder.csv'}'",
            f"ATTACH '{folder / 'intruder.duckdb'}' AS intruder",
        ]


class FilesBackend(Backend):
    """A folder of CSV and Parquet files read through DuckDB: no views, keys or NOT NULL."""

    name = "files"
    views = False
    keys = False
    not_null = False
    broken_error = "No magic bytes found at end of file"
    slow_sql = DuckdbBackend.slow_sql
    _suffix = {"orders": "parquet", "broken": "parquet"}

    def create(self, label: str) -> str:
        root = self.tmp / label
        folder = root / SCHEMA
        folder.mkdir(parents=True)
        self._csv(folder / "customers.csv", ("id", "name", "score"), CUSTOMERS)
        con = duckdb.connect()
        values = _values(ORDERS)
        target = str(folder / "orders.parquet").replace("'", "''")
        con.execute(
            "COPY (SELECT CAST(id AS INTEGER) AS id, CAST(customer_id AS INTEGER) AS customer_id, "
            f"CAST(amount AS INTEGER) AS amount FROM (VALUES {values}) v(id, customer_id, amount)) "
            f"TO '{target}' (FORMAT parquet)"
        )
        con.close()
        for name in AWKWARD:
            self._csv(folder / f"{name}.csv", (name, "k"), awkward_rows(name))
        (folder / "broken.parquet").write_bytes(b"this is not parquet at all")
        return root.as_uri()

    @staticmethod
    def _csv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)

    @staticmethod
    def _root(url: str) -> Path:
        from sounding.connectors.files import root_from_url

        return root_from_url(url)

    def path(self, url: str, name: str) -> tuple[str, ...]:
        return (f"{SCHEMA}/{name}.{self._suffix.get(name, 'csv')}",)

    def qualified(self, url: str, name: str) -> str:
        return self.path(url, name)[0]

    def container(self, url: str) -> str:
        return SCHEMA + "/"

    def drop_object(self, url: str, name: str) -> None:
        (self._root(url) / self.path(url, name)[0]).unlink()

    def destroy(self, url: str) -> None:
        shutil.rmtree(self._root(url))

    def snapshot(self, url: str) -> object:
        return file_snapshot(self._root(url))

    def write_attempts(self, url: str, relation: Callable[[str], str]) -> list[str]:
        folder = self._root(url) / SCHEMA
        return [
            *super().write_attempts(url, relation),
            f"COPY (SELECT 1 AS x) TO '{folder / 'intruder.csv'}'",
            f"ATTACH '{folder / 'intruder.duckdb'}' AS intruder",
        ]
