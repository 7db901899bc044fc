"""GET /api/v1/changes/impact through a real server: a column a view reads is dropped, and
the re-scan names the views downstream, with their owners, and so does the payload of the
source's ``source_changed`` trigger."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import execute, sqlite_source

U = "urn:sounding:shop:main."
DDL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC, note TEXT);
CREATE VIEW order_amounts AS SELECT id, amount FROM orders;
CREATE VIEW doubled AS SELECT id, amount * 2 AS twice FROM order_amounts;
CREATE VIEW notes AS SELECT id, note FROM orders;
INSERT INTO orders VALUES (1, 10, 'a'), (2, 20, 'b');
"""
# SQLite refuses to drop a column a view reads: the views go, then come back without it
DROP_AMOUNT = """
DROP VIEW doubled; DROP VIEW order_amounts;
ALTER TABLE orders DROP COLUMN amount;
CREATE VIEW order_amounts AS SELECT id FROM orders;
CREATE VIEW doubled AS SELECT id FROM order_amounts;
"""
ACTIVE = ("pending", "initializing", "running", "retrying", "paused")


class Api:
    def __init__(self, server: ServerProcess) -> None:
        self.http = httpx.Client(
            base_url=f"{server.base}/api/v1", headers=server.headers, timeout=30
        )

    def scan(self, source: str) -> None:
        started = self.http.post(f"/sources/{source}/scans")
        assert started.status_code == 202, started.text
        self.wait(started.json()["execution_id"])

    def wait(self, execution_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.http.get(f"/executions/{execution_id}").json()
            if got["status"] not in ACTIVE:
                assert got["status"] == "completed", got
                return dict(got)
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} still running after {timeout} s")

    def executions(self, workflow: str) -> list[dict[str, Any]]:
        got = self.http.get("/executions", params={"workflow": workflow})
        assert got.status_code == 200, got.text
        return list(got.json()["items"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("change-impact")
    server = ServerProcess(tmp / "home")
    server.start()
    client = Api(server)
    try:
        yield client
    finally:
        client.http.close()
        server.stop()


def test_a_dropped_column_names_the_views_downstream_and_their_owners(
    api: Api, tmp_path: Path
) -> None:
    db = tmp_path / "shop.db"
    added = api.http.post("/sources", json={"name": "shop", "url": sqlite_source(db, DDL)})
    assert added.status_code == 201, added.text
    api.scan("shop")
    for ref, owner in (("order_amounts", "ann"), ("doubled", "bob")):
        asset = api.http.get("/assets/by-urn", params={"urn": U + ref}).json()
        patched = api.http.patch(f"/assets/{asset['id']}", json={"owner": owner})
        assert patched.status_code == 200, patched.text
    flow = {
        "name": "on-shop-change",
        "triggers": [{"type": "source_changed", "source": "shop"}],
        "steps": [{"id": "work", "type": "noop"}],
    }
    applied = api.http.post("/orchestrations", json=flow)
    assert applied.status_code == 201, applied.text
    since = datetime.now(UTC) - timedelta(seconds=1)

    execute(db, DROP_AMOUNT)
    api.scan("shop")

    got = api.http.get("/changes/impact", params={"since": since.isoformat(), "source": "shop"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == len(body["items"]) and not body["truncated"]
    changes = {c["asset"]["urn"]: c for c in body["items"]}
    dropped = changes[U + "orders#amount"]
    assert (dropped["kind"], dropped["level"], dropped["recorded"]) == (
        "column_dropped",
        "column",
        True,
    )
    assert dropped["asset"]["type"] == "column" and dropped["asset"]["name"] == "amount"
    affected = {(a["urn"], a["distance"], a["owner"], a["object_urn"]) for a in dropped["affected"]}
    assert affected == {
        (U + "order_amounts#amount", 1, "ann", U + "order_amounts"),
        (U + "doubled#twice", 2, "bob", U + "doubled"),
    }
    assert U + "notes#note" not in {a["urn"] for a in dropped["affected"]}  # not downstream
    # the views' copies of the column are changes too, caused by the table's
    assert dropped["caused_by"] is None
    assert changes[U + "order_amounts#amount"]["caused_by"] == dropped["event_id"]

    # the trigger fired with the same changes as its payload
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not api.executions("on-shop-change"):
        time.sleep(0.1)
    (run,) = api.executions("on-shop-change")
    execution = api.wait(run["id"])
    payload = execution["params"]["source_changed"]
    assert payload["source"] == "shop" and payload["scan_id"] == dropped["scan_id"]
    by_urn = {c["asset"]["urn"]: c for c in payload["changes"]}
    assert by_urn.keys() == changes.keys()
    assert by_urn[U + "orders#amount"]["affected"] == dropped["affected"]


def test_bad_calls_answer_4xx(api: Api) -> None:
    bad = api.http.get("/changes/impact", params={"since": "yesterday"})
    assert bad.status_code == 422 and "since" in bad.json()["error"]["message"]
    missing = api.http.get("/changes/impact")
    assert missing.status_code == 422 and "since" in missing.json()["error"]["message"]
    unknown = api.http.get(
        "/changes/impact", params={"since": "2026-01-01T00:00:00Z", "source": "nowhere"}
    )
    assert unknown.status_code == 404 and "nowhere" in unknown.json()["error"]["message"]
    too_many = api.http.get(
        "/changes/impact", params={"since": "2026-01-01T00:00:00Z", "limit": 5000}
    )
    assert too_many.status_code == 422
    edge = api.http.get("/changes/impact", params={"since": "0001-01-01T00:00:00+14:00"})
    assert edge.status_code == 422 and "since" in edge.json()["error"]["message"]
    later = api.http.get("/changes/impact", params={"since": "2999-01-01T00:00:00"})
    assert later.status_code == 200 and later.json() == {
        "items": [],
        "total": 0,
        "truncated": False,
    }
