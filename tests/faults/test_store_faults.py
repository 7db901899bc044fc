"""The store's disk full, read-only or unreachable, through a real server: writes answer a
clear 507/503, reads still work, nothing of a refused write is left half-written, and
``/healthz`` says when the store stops answering.

CI runs as root, which ignores file permissions, so the faults are made the way the store
itself would see them: SQLite's size cap (``PRAGMA max_page_count``, the
``SOUNDING_STORE_MAX_SIZE_MB`` setting), a SQLite store opened ``mode=ro``, and a PostgreSQL
store whose database defaults to read-only transactions."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from sounding.testing.server import ServerProcess
from tests.faults.proxy import TcpProxy

pytestmark = pytest.mark.slow


def _terms(server: ServerProcess) -> list[str]:
    page = httpx.get(
        f"{server.base}/api/v1/glossary/terms", headers=server.headers, params={"limit": 1000}
    )
    assert page.status_code == 200, page.text
    return sorted(t["name"] for t in page.json()["items"])


def _add_term(server: ServerProcess, name: str, definition: str = "x") -> httpx.Response:
    return httpx.post(
        f"{server.base}/api/v1/glossary/terms",
        headers=server.headers,
        json={"name": name, "definition": definition},
        timeout=30,
    )


def _imports(server: ServerProcess) -> int:
    page = httpx.get(
        f"{server.base}/api/v1/audit", headers=server.headers, params={"limit": 1000}
    ).json()
    return sum(1 for r in page["items"] if r["action"] == "glossary.import")


def test_full_store_refuses_the_whole_write_and_keeps_serving(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "home", env={"SOUNDING_STORE_MAX_SIZE_MB": "3"})
    server.start()
    try:
        assert _add_term(server, "Customer").status_code == 201  # room for small writes
        # an import of ~4 MB of terms does not fit: all or nothing
        rows = "\n".join(f"Bulk/Term {i},{'d' * 4000}" for i in range(1000))
        refused = httpx.post(
            f"{server.base}/api/v1/glossary/terms/import",
            headers=server.headers,
            json={"format": "csv", "content": "path,definition\n" + rows},
            timeout=60,
        )
        assert refused.status_code == 507, refused.text
        error = refused.json()["error"]
        assert error["type"] == "StoreFullError"
        assert "The metadata store is full" in error["message"]
        assert "nothing of this change was written" in error["message"]
        assert _terms(server) == ["Customer"]  # not one term of the import, no ancestor
        assert _imports(server) == 0  # and no audit record of it
        assert _add_term(server, "Order").status_code == 201  # small writes still fit
        assert _terms(server) == ["Customer", "Order"]
    finally:
        server.stop()


def test_read_only_sqlite_store_serves_reads_and_refuses_writes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = ServerProcess(home)
    server.start()
    try:
        assert _add_term(server, "Customer").status_code == 201
    finally:
        server.stop()
    read_only = ServerProcess(
        home, env={"SOUNDING_DATABASE_URL": f"sqlite:///file:{home}/sounding.db?mode=ro&uri=true"}
    )
    read_only.token = server.token
    read_only.start()
    try:
        assert _terms(read_only) == ["Customer"]
        refused = _add_term(read_only, "Order")
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["type"] == "StoreUnavailableError"
        assert "The metadata store is read-only" in refused.json()["error"]["message"]
        assert _terms(read_only) == ["Customer"]
        assert httpx.get(f"{read_only.base}/healthz").status_code == 200
    finally:
        read_only.stop()


@pytest.mark.postgres
def test_read_only_postgres_store_serves_reads_and_refuses_writes(
    tmp_path: Path, postgres_url: str
) -> None:
    env = {"SOUNDING_DATABASE_URL": postgres_url}
    server = ServerProcess(tmp_path / "home", env=env)
    server.start()
    try:
        assert _add_term(server, "Customer").status_code == 201
    finally:
        server.stop()
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = conn.exec_driver_sql("SELECT current_database()").scalar_one()
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    admin.dispose()
    server.start()
    try:
        assert _terms(server) == ["Customer"]
        refused = _add_term(server, "Order")
        assert refused.status_code == 503, refused.text
        error = refused.json()["error"]
        assert error["type"] == "StoreUnavailableError"
        assert "read-only" in error["message"]
        assert _terms(server) == ["Customer"]
    finally:
        server.stop()


@pytest.mark.postgres
def test_healthz_says_degraded_while_the_store_is_unreachable(
    tmp_path: Path, postgres_url: str
) -> None:
    url = sa.make_url(postgres_url)
    proxy = TcpProxy(url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = ServerProcess(tmp_path / "home", env={"SOUNDING_DATABASE_URL": proxied})
    server.start()
    try:
        assert httpx.get(f"{server.base}/healthz").json()["status"] == "ok"
        proxy.cut()  # as if the database server were killed
        down = httpx.get(f"{server.base}/healthz", timeout=30)
        assert down.status_code == 200  # the probe answers; it does not fail with the store
        assert (down.json()["status"], down.json()["store"]) == ("degraded", False)
        proxy.restore()
        assert httpx.get(f"{server.base}/healthz", timeout=30).json()["store"] is True
    finally:
        server.stop()
        proxy.close()
