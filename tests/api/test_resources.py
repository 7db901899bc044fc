"""Sources, scans and assets through the HTTP API, including bad input."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.api.conftest import Api


def _scan(api: Api, source: str = "shop") -> dict[str, Any]:
    resp = api.call("POST", "/api/v1/scans", role="steward", json={"source": source})
    assert resp.status_code == 202, resp.text
    scan = resp.json()
    deadline = time.monotonic() + 30
    while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        scan = api.call("GET", f"/api/v1/scans/{scan['id']}", role="viewer").json()
    return scan


def test_scan_then_browse_assets(api: Api) -> None:
    scan = _scan(api)
    assert scan["status"] == "completed" and scan["progress"] == 1.0
    assert scan["report"]["created"] > 0
    tables = api.call("GET", "/api/v1/assets?type=table&source=shop", role="viewer").json()
    assert tables["total"] == 2
    assert {t["name"] for t in tables["items"]} == {"customers", "orders"}
    for key in ("id", "urn", "name", "qualified_name", "type", "parent_id", "source"):
        assert key in tables["items"][0]
    page = api.call("GET", "/api/v1/assets?type=column&limit=2&offset=1", role="viewer").json()
    assert len(page["items"]) == 2 and page["total"] == 8
    orders = next(t for t in tables["items"] if t["name"] == "orders")
    detail = api.call("GET", f"/api/v1/assets/{orders['id']}", role="viewer").json()
    assert [c["name"] for c in detail["columns"]] == ["id", "customer_id", "amount"]
    assert detail["events"][0]["event_type"] == "created"
    by_urn = api.call(
        "GET", "/api/v1/assets/by-urn", role="viewer", params={"urn": orders["urn"]}
    ).json()
    assert by_urn["id"] == orders["id"]
    kids = api.call("GET", f"/api/v1/assets?parent_id={orders['id']}", role="viewer").json()
    assert kids["total"] == 3
    events = api.call("GET", f"/api/v1/scans/{scan['id']}/events", role="viewer").json()
    assert scan["report"]["created"] == 13  # source, database, 3 objects, 8 columns
    assert events["total"] == 5  # a new table's columns are listed in its own event
    created = {e["urn"]: e["diff"] for e in events["items"]}
    assert created["urn:sounding:shop:main.orders"] == {"columns": ["id", "customer_id", "amount"]}


def test_steward_curates_metadata(api: Api) -> None:
    _scan(api)
    resp = api.call(
        "PATCH",
        "/api/v1/assets/urn:sounding:shop:main.orders",
        role="steward",
        json={"owner": "sales", "criticality": "high", "tags": ["finance"]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["owner"] == "sales"
    bad = api.call(
        "PATCH",
        "/api/v1/assets/urn:sounding:shop:main.orders",
        role="steward",
        json={"criticality": "extreme"},
    )
    assert bad.status_code == 422 and "criticality" in bad.json()["error"]["message"]
    unknown = api.call(
        "PATCH", "/api/v1/assets/urn:sounding:shop:main.orders", role="steward", json={"name": "x"}
    )
    assert unknown.status_code == 422


def test_source_urls_are_never_returned_with_secrets(api: Api, ctx: Any) -> None:
    resp = api.call(
        "POST",
        "/api/v1/sources",
        json={"name": "pg", "url": "postgresql://bob:s3cret@127.0.0.1:5432/x"},
    )
    assert resp.status_code == 201, resp.text
    assert "s3cret" not in resp.text and resp.json()["url"].startswith("postgresql://bob:***@")
    assert "s3cret" not in api.call("GET", "/api/v1/sources").text
    with ctx.db.read() as conn:
        stored = conn.exec_driver_sql("SELECT url_encrypted, url_redacted FROM sources").all()
    assert all("s3cret" not in enc and "s3cret" not in red for enc, red in stored)


def test_bad_input_gets_clear_4xx(api: Api, tmp_path: Path) -> None:
    cases = [
        ({"name": "x1", "url": "oracle+nope://h/db"}, 422, "No connector accepts"),
        ({"name": "x2", "url": "not a url"}, 422, "No connector accepts"),
        ({"name": "shop", "url": "sqlite:///other.db"}, 409, "already exists"),
        ({"name": "bad name!", "url": "sqlite:///a.db"}, 422, "Invalid source name"),
        ({"name": "x3", "url": "sqlite:///a.db", "include": "(["}, 422, "Invalid include"),
        ({"name": "x4"}, 422, "url"),
        ({"name": "x5", "url": "sqlite:///a.db", "bogus": 1}, 422, "bogus"),
    ]
    for body, status, text in cases:
        resp = api.call("POST", "/api/v1/sources", json=body)
        assert resp.status_code == status, (body, resp.text)
        err = resp.json()["error"]
        assert text in err["message"], (body, err)
        assert "Traceback" not in resp.text
    assert api.call("GET", "/api/v1/assets?type=nonsense").status_code == 422
    assert api.call("GET", "/api/v1/assets?limit=0").status_code == 422
    assert api.call("GET", "/api/v1/sources/nosuch").status_code == 404
    assert api.call("GET", "/api/v1/nowhere").json()["error"]["type"] == "NotFoundError"


def test_unreachable_host_fails_fast_with_a_message(api: Api) -> None:
    api.call(
        "POST", "/api/v1/sources", json={"name": "down", "url": "postgresql://u:pw@127.0.0.1:1/x"}
    )
    started = time.monotonic()
    resp = api.call("POST", "/api/v1/sources/down/test")
    assert resp.status_code == 400
    msg = resp.json()["error"]["message"]
    assert msg.startswith("Failed to connect to source 'down'") and "pw" not in msg
    assert time.monotonic() - started < 10
    scan = _scan(api, "down")
    assert scan["status"] == "failed" and "Failed to connect" in scan["error"]


def test_two_scans_of_one_source_conflict(api: Api) -> None:
    first = api.call("POST", "/api/v1/sources/shop/scans", role="steward")
    second = api.call("POST", "/api/v1/sources/shop/scans", role="steward")
    assert first.status_code == 202
    assert second.status_code in (202, 409)  # 202 only if the first already finished
    if second.status_code == 409:
        assert "already has scan" in second.json()["error"]["message"]
