"""User SQL runs locked down, through a real `sounding serve`.

A quality rule's custom SQL on a DuckDB-backed source (files, DuckDB database) cannot read
files outside the source's own directory; on SQL sources the login's dangerous privileges
are reported when the source is added or tested; failing rows of custom SQL are masked for
callers without ``pii:read`` by the same rule as profiles.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import sqlalchemy as sa

from sounding.domain.urn import make_urn
from sounding.testing.server import ServerProcess

SECRET = "TOPSECRET-" + uuid.uuid4().hex
API = "/api/v1"
PAYMENTS = "id,email,amount\n1,ann@example.com,10\n2,bob@example.com,-5\n3,cy@example.com,-7\n"


class Client:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.tokens = {"admin": server.token}

    def call(self, method: str, path: str, role: str = "admin", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.request(
            method, f"{self.server.base}{API}{path}", headers=headers, timeout=60, **kw
        )

    def user(self, role: str) -> None:
        assert self.call("POST", "/users", json={"name": f"{role}1", "role": role}).is_success
        made = self.call("POST", f"/users/{role}1/tokens", json={})
        self.tokens[role] = made.json()["token"]

    def scan(self, source: str) -> None:
        body = {"source": source, "profile": True, "classify": True}
        scan = self.call("POST", "/scans", json=body).json()
        deadline = time.monotonic() + 60
        while self.call("GET", f"/scans/{scan['id']}").json()["status"] not in (
            "completed",
            "failed",
        ):
            assert time.monotonic() < deadline, "scan did not end"
            time.sleep(0.1)

    def results(self, asset: str, role: str = "admin") -> dict[str, dict[str, Any]]:
        """The newest result of each rule of a table, by rule name, as ``role`` sees it."""
        found = self.call("GET", "/quality/results", role, params={"asset": asset, "limit": 1000})
        assert found.status_code == 200, found.text
        out: dict[str, dict[str, Any]] = {}
        for item in found.json()["items"]:
            out.setdefault(item["rule"], item)
        return out

    def rule(self, asset: str, name: str, sql: str) -> None:
        body = {"asset": asset, "kind": "custom_sql", "name": name, "params": {"sql": sql}}
        made = self.call("POST", "/quality/rules", role="steward", json=body)
        assert made.status_code == 201, made.text


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Path]]:
    base = tmp_path_factory.mktemp("lockdown")
    (base / "secret.key").write_text(SECRET)
    lake = base / "lake"
    lake.mkdir()
    (lake / "payments.csv").write_text(PAYMENTS)
    warehouse = base / "warehouse"
    warehouse.mkdir()
    (warehouse / "refunds.csv").write_text("id,amount\n1,-3\n2,4\n")
    with duckdb.connect(str(warehouse / "shop.duckdb")) as con:
        con.execute("CREATE TABLE orders AS SELECT 1 AS id, 5 AS amount")
        refunds = str(warehouse / "refunds.csv").replace("'", "''")
        con.execute(f"CREATE VIEW refunds AS SELECT * FROM read_csv('{refunds}')")
    server = ServerProcess(base / "home")
    server.start()
    client = Client(server)
    try:
        client.user("steward")
        client.user("viewer")
        for name, url in (
            ("lake", f"file://{lake}"),
            ("shop", f"duckdb:///{warehouse / 'shop.duckdb'}"),
        ):
            added = client.call("POST", "/sources", json={"name": name, "url": url})
            assert added.status_code == 201, added.text
            assert added.json()["warnings"] == []  # no login: nothing to warn about
            client.scan(name)
        yield client, base
    finally:
        server.stop()


ATTEMPTS = {
    "read_text": "SELECT * FROM read_text('{secret}')",
    "dot_dot": "SELECT * FROM read_text('{root}/../secret.key')",
    "read_csv": "SELECT * FROM read_csv('/etc/passwd')",
    "read_json": "SELECT * FROM read_json('/etc/hostname')",
    "attach_like": "SELECT * FROM read_blob('{secret}')",
}


@pytest.mark.parametrize(
    ("source", "path", "root"),
    [("lake", ("payments.csv",), "lake"), ("shop", ("shop", "main", "orders"), "warehouse")],
)
def test_custom_sql_cannot_read_files_outside_the_source(
    world: tuple[Client, Path], source: str, path: tuple[str, ...], root: str
) -> None:
    client, base = world
    asset = make_urn(source, path)
    for name, sql in ATTEMPTS.items():
        text = sql.format(secret=base / "secret.key", root=base / root)
        client.rule(asset, f"leak-{name}", text)
    ran = client.call(
        "POST", "/quality/runs", role="steward", json={"source": source, "asset": asset}
    )
    assert ran.status_code == 201, ran.text
    results = {r["rule"]: r for r in ran.json()["results"]}
    for name in ATTEMPTS:
        result = results[f"leak-{name}"]
        assert result["passed"] is None or result["passed"] is False, result
        assert "file system operations are disabled by configuration" in result["error"], result
        assert result["examples"] == [] and result["failing_count"] is None
    stored = client.results(asset)
    assert {f"leak-{name}" for name in ATTEMPTS} <= set(stored)
    assert SECRET not in ran.text and SECRET not in str(stored)
    assert "root:x:0:0" not in ran.text and "root:x:0:0" not in str(stored)


def test_custom_sql_over_the_source_s_own_files_still_works(world: tuple[Client, Path]) -> None:
    client, _ = world
    payments = make_urn("lake", ("payments.csv",))
    client.rule(payments, "negative", "SELECT id, email, amount FROM {table} WHERE amount < 0")
    client.rule(payments, "aliased", "SELECT email AS id FROM {table} WHERE amount < 0")
    refunds = make_urn("shop", ("shop", "main", "refunds"))  # a view over a CSV beside the file
    client.rule(refunds, "refund-negative", "SELECT * FROM {table} WHERE amount < 0")
    for source, asset in (("lake", payments), ("shop", refunds)):
        ran = client.call(
            "POST", "/quality/runs", role="steward", json={"source": source, "asset": asset}
        )
        assert ran.status_code == 201, ran.text
    refund = client.results(refunds, role="steward")["refund-negative"]
    assert refund["failing_count"] == 1 and refund["error"] is None
    negative = client.results(payments, role="steward")["negative"]
    assert negative["failing_count"] == 2 and negative["error"] is None
    emails = {e["row"]["email"] for e in negative["examples"]}
    assert emails == {"bob@example.com", "cy@example.com"}  # a steward may read PII


def test_failing_rows_of_custom_sql_are_masked_like_profiles(world: tuple[Client, Path]) -> None:
    client, _ = world
    labelled = client.call("GET", "/classifications", params={"source": "lake"}).json()
    assert "email" in str(labelled["items"]), "the scan labels the email column"
    payments = make_urn("lake", ("payments.csv",))
    client.rule(payments, "negative-2", "SELECT id, email, amount FROM {table} WHERE amount < 0")
    client.rule(payments, "aliased-2", "SELECT email AS id FROM {table} WHERE amount < 0")
    client.rule(payments, "filtered", "SELECT id FROM {table} WHERE email LIKE 'bob%'")
    ran = client.call(
        "POST", "/quality/runs", role="steward", json={"source": "lake", "asset": payments}
    )
    assert ran.status_code == 201, ran.text
    shown = client.results(payments, role="viewer")
    rows = [e["row"] for e in shown["negative-2"]["examples"]]
    assert rows and all(r["email"] == "***" for r in rows)
    assert sorted(r["amount"] for r in rows) == [-7, -5]  # not sensitive: shown
    assert shown["negative-2"]["examples_masked"] is True
    assert all(e["row"] == {"id": "***"} for e in shown["aliased-2"]["examples"])
    assert shown["aliased-2"]["examples"], "the alias rule fails and is masked, not hidden"
    assert shown["filtered"]["examples"] == [{"row": {"id": "***"}}]  # filtered on email
    assert "example.com" not in str(shown)


def _role_url(url: str, role: str) -> str:
    return sa.engine.make_url(url).set(username=role, password=None).render_as_string(False)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOUNDING_HOME": str(home)}
    env.pop("SOUNDING_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.postgres
def test_a_postgres_superuser_login_is_reported(
    world: tuple[Client, Path], postgres_url: str, tmp_path: Path
) -> None:
    client, _ = world
    suffix = uuid.uuid4().hex[:8]
    reader, filer = f"sounding_ro_{suffix}", f"sounding_files_{suffix}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    database = sa.engine.make_url(postgres_url).database
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE orders (id int)")
            for role in (reader, filer):
                conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
                conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
                conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
                conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
            conn.exec_driver_sql(f"GRANT pg_read_server_files TO {filer}")
        added = client.call("POST", "/sources", json={"name": "pg-super", "url": postgres_url})
        assert added.status_code == 201, added.text
        (warning,) = added.json()["warnings"]
        assert "is a PostgreSQL superuser" in warning and "read-only" in warning
        tested = client.call("POST", "/sources/pg-super/test").json()
        assert tested["ok"] and tested["warnings"] == [warning]

        url = _role_url(postgres_url, reader)
        plain = client.call("POST", "/sources", json={"name": "pg-reader", "url": url})
        assert plain.status_code == 201 and plain.json()["warnings"] == []
        assert client.call("POST", "/sources/pg-reader/test").json()["warnings"] == []

        url = _role_url(postgres_url, filer)
        files = client.call("POST", "/sources", json={"name": "pg-files", "url": url})
        assert "member of pg_read_server_files" in files.json()["warnings"][0]

        home = tmp_path / "cli-home"
        shown = _cli(home, "source", "add", "pg", postgres_url)
        assert shown.returncode == 0, shown.stderr
        assert "warning: The login 'postgres' is a PostgreSQL superuser" in shown.stdout
    finally:
        with admin.connect() as conn:
            for role in (reader, filer):
                conn.exec_driver_sql(f"DROP OWNED BY {role}")
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()
        for name in ("pg-super", "pg-reader", "pg-files"):
            client.call("DELETE", f"/sources/{name}")


@pytest.mark.mysql
def test_a_mariadb_login_with_the_file_privilege_is_reported(
    world: tuple[Client, Path], mysql_url: str
) -> None:
    client, _ = world
    try:
        added = client.call("POST", "/sources", json={"name": "maria", "url": mysql_url})
        assert added.status_code == 201, added.text
        (warning,) = added.json()["warnings"]
        assert "has the global privilege FILE and SUPER" in warning
    finally:
        client.call("DELETE", "/sources/maria")
