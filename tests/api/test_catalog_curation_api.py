"""Assets created by hand, bulk curation and catalog export/import, through a real
`sounding serve` (docs/catalog.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import execute, sqlite_source

pytestmark = pytest.mark.slow

SHOP = "urn:sounding:shop:main"


class Live:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(
            base_url=f"{server.base}/api/v1", headers=server.headers, timeout=60
        )

    def scan(self, source: str) -> dict[str, Any]:
        scan = self.http.post("/scans", json={"source": source}).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
            scan = self.http.get(f"/scans/{scan['id']}").json()
        assert scan["status"] == "completed", scan
        return dict(scan)

    def asset(self, urn: str) -> httpx.Response:
        return self.http.get("/assets/by-urn", params={"urn": urn})


def _start(home: Path, db: Path) -> Iterator[Live]:
    server = ServerProcess(home)
    server.start(timeout=120)
    try:
        live = Live(server)
        created = live.http.post("/sources", json={"name": "shop", "url": f"sqlite:///{db}"})
        assert created.status_code == 201, created.text
        live.scan("shop")
        yield live
        live.http.close()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shopdb") / "shop.db"
    sqlite_source(path)
    execute(path, "CREATE TABLE scratch (id INTEGER);")
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, shop_db: Path) -> Iterator[Live]:
    yield from _start(tmp_path_factory.mktemp("curation") / "home", shop_db)


def test_manual_assets_live_in_a_manual_source_with_lineage(live: Live) -> None:
    body = {
        "type": "dashboard",
        "name": "Revenue board",
        "source": "bi",
        "owner": "ann",
        "tags": ["kpi"],
        "properties": {"url": "https://bi.example.com/d/1"},
        "upstream": [f"{SHOP}.orders"],
    }
    made = live.http.post("/assets", json=body)
    assert made.status_code == 201, made.text
    board = made.json()
    assert board["urn"] == 'urn:sounding:bi:dashboard."Revenue board"'
    assert board["type"] == "dashboard" and board["source"] == "bi"
    assert board["properties"] == {"url": "https://bi.example.com/d/1"}
    assert board["owner"] == "ann" and board["tags"] == ["kpi"]
    assert live.http.get("/sources/bi").json()["kind"] == "manual"
    # the dashboard's lineage reads from the table; the table's impact reaches the dashboard
    up = live.http.get(f"/assets/{board['id']}/lineage", params={"direction": "upstream"})
    assert f"{SHOP}.orders" in {n["urn"] for n in up.json()["nodes"]}
    impact = live.http.get("/assets/by-urn", params={"urn": f"{SHOP}.orders"}).json()
    down = live.http.get(f"/assets/{impact['id']}/impact").json()
    assert board["urn"] in str(down)
    # a chart sits under its dashboard; a report is a chart
    chart = live.http.post(
        "/assets",
        json={"type": "report", "name": "MRR", "source": "bi", "parent": board["urn"]},
    )
    assert chart.status_code == 201, chart.text
    assert chart.json()["type"] == "chart" and chart.json()["parent_id"] == board["id"]
    # what is refused, and why
    bad = {
        "under a table": (
            {"type": "chart", "name": "x", "source": "bi", "parent": f"{SHOP}.orders"},
            422,
            "dashboard",
        ),
        "scanned source": (
            {"type": "dashboard", "name": "x", "source": "shop"},
            422,
            "kind manual",
        ),
        "unknown type": ({"type": "cube", "name": "x", "source": "bi"}, 422, "ml_model"),
        "twice": (
            {"type": "dashboard", "name": "Revenue board", "source": "bi"},
            409,
            "already exists",
        ),
        "bad edge": (
            {
                "type": "pipeline",
                "name": "p",
                "source": "bi",
                "upstream": ["urn:sounding:shop:nope"],
            },
            404,
            "nope",
        ),
    }
    for what, (payload, status, words) in bad.items():
        got = live.http.post("/assets", json=payload)
        assert got.status_code == status and words in got.text, (what, got.text)
    assert live.asset("urn:sounding:bi:pipeline.p").status_code == 404  # nothing half-made
    viewer = live.http.post(
        "/assets", json={**body, "name": "v"}, headers={"Authorization": "Bearer nope"}
    )
    assert viewer.status_code == 401
    # PATCH curates it; properties and more lineage on manual assets only
    patched = live.http.patch(
        f"/assets/{board['id']}",
        json={
            "description": "Monthly revenue",
            "properties": {"url": "https://x/2"},
            "add_upstream": [f"{SHOP}.customers"],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"] == {"url": "https://x/2"}
    up = live.http.get(f"/assets/{board['id']}/lineage", params={"direction": "upstream"})
    assert f"{SHOP}.customers" in {n["urn"] for n in up.json()["nodes"]}
    scanned = live.http.patch(f"/assets/{impact['id']}", json={"properties": {}})
    assert scanned.status_code == 409 and "scan owns it" in scanned.text
    # a scanned asset cannot be deleted; a manual one goes with what sits under it
    refused = live.http.delete(f"/assets/{impact['id']}")
    assert refused.status_code == 409 and "scan owns it" in refused.text
    gone = live.http.delete(f"/assets/{board['id']}")
    assert gone.status_code == 200, gone.text
    assert set(gone.json()["deleted"]) == {board["urn"], chart.json()["urn"]}
    assert live.asset(board["urn"]).status_code == 404
    audit = live.http.get("/audit", params={"action": "asset.delete"}).json()["items"]
    assert {a["target"] for a in audit} >= {board["urn"], chart.json()["urn"]}


def test_a_rescan_never_removes_assets_made_by_hand(live: Live, shop_db: Path) -> None:
    job = live.http.post(
        "/assets",
        json={
            "type": "job",
            "name": "nightly load",
            "source": "etl",
            "upstream": [f"{SHOP}.scratch"],
            "downstream": [f"{SHOP}.orders"],
        },
    )
    assert job.status_code == 201, job.text
    execute(shop_db, "DROP TABLE scratch;")  # the scan must see a real removal
    live.scan("shop")
    assert live.asset(f"{SHOP}.scratch").json()["deleted"] is True  # the scan removed it
    kept = live.asset(job.json()["urn"])
    assert kept.status_code == 200 and kept.json()["deleted"] is False
    down = live.http.get(f"/assets/{job.json()['id']}/lineage", params={"direction": "downstream"})
    assert f"{SHOP}.orders" in {n["urn"] for n in down.json()["nodes"]}
    # and a manual source cannot be scanned at all
    refused = live.http.post("/scans", json={"source": "etl"})
    assert refused.status_code == 422 and "created by hand" in refused.text


def test_bulk_update_dry_run_then_apply_all_or_nothing(live: Live) -> None:
    tables = {"filters": {"source": "shop", "type": ["table"]}}
    change = {
        "set": {"owner": "data-team", "criticality": "high", "custom_properties": {"tier": "gold"}},
        "add_tags": ["bulk"],
    }
    dry = live.http.post("/assets/bulk", json={**tables, **change, "dry_run": True})
    assert dry.status_code == 200, dry.text
    preview = dry.json()
    urns = {i["urn"] for i in preview["items"]}
    assert urns == {f"{SHOP}.customers", f"{SHOP}.orders"} and preview["dry_run"]
    item = next(i for i in preview["items"] if i["urn"] == f"{SHOP}.customers")
    assert item["before"]["owner"] is None and item["after"]["owner"] == "data-team"
    assert item["after"]["tags"] == ["bulk"] and item["after"]["custom_properties"] == {
        "tier": "gold"
    }
    assert live.asset(f"{SHOP}.customers").json()["owner"] is None  # nothing written
    # a bad term fails the whole request and names it
    bad = live.http.post("/assets/bulk", json={**tables, **change, "add_terms": ["/No/Such"]})
    assert bad.status_code == 404 and "/No/Such" in bad.text
    bad = live.http.post("/assets/bulk", json={**tables, "set": {"lifecycle": "alive"}})
    assert bad.status_code == 422 and "lifecycle" in bad.text
    assert live.asset(f"{SHOP}.customers").json()["owner"] is None
    too_many = live.http.post(
        "/assets/bulk", json={"urns": [f"u{i}" for i in range(1001)], **change}
    )
    assert too_many.status_code == 422 and "1000" in too_many.text
    missing = live.http.post(
        "/assets/bulk", json={"urns": [f"{SHOP}.orders", "urn:sounding:x:y"], **change}
    )
    assert missing.status_code == 404 and "urn:sounding:x:y" in missing.text
    done = live.http.post("/assets/bulk", json={**tables, **change})
    assert done.status_code == 200 and done.json()["changed"] == 2
    orders = live.asset(f"{SHOP}.orders").json()
    assert orders["owner"] == "data-team" and "bulk" in orders["tags"]
    assert orders["criticality"] == "high" and orders["custom_properties"]["tier"] == "gold"
    again = live.http.post("/assets/bulk", json={**tables, **change, "dry_run": True}).json()
    assert again["matched"] == 2 and again["changed"] == 0
    audit = live.http.get("/audit", params={"action": "asset.bulk_update"}).json()["items"]
    assert {a["target"] for a in audit} == {f"{SHOP}.customers", f"{SHOP}.orders"}
    # a domain must be one of the catalog's: an unknown one fails the whole change, named
    unknown = live.http.post(
        "/assets/bulk",
        json={"urns": [f"{SHOP}.orders"], "set": {"domain": "sales"}, "remove_tags": ["bulk"]},
    )
    assert unknown.status_code == 422 and "'sales'" in unknown.text, unknown.text
    orders = live.asset(f"{SHOP}.orders").json()
    assert orders["domain"] is None and "bulk" in orders["tags"]  # nothing written
    sales = live.http.post(
        "/domains", json={"name": "sales", "description": "Selling", "owners": ["ann"]}
    )
    assert sales.status_code == 201, sales.text
    # by URN, a domain through the catalog's setter, and a tag taken off
    by_urn = live.http.post(
        "/assets/bulk",
        json={"urns": [f"{SHOP}.orders"], "set": {"domain": "sales"}, "remove_tags": ["bulk"]},
    )
    assert by_urn.json()["items"][0]["after"] == {"domain": "sales", "tags": []}
    assert live.asset(f"{SHOP}.orders").json()["domain"] == "sales"


def _curate(live: Live) -> None:
    """Curated metadata of every kind the export carries."""
    assert live.http.post("/glossary/terms", json={"path": "/Sales"}).status_code == 201
    term = live.http.post("/glossary/terms", json={"path": "/Sales/Order", "definition": "x"})
    assert term.status_code == 201, term.text
    # the organisation the assets refer to: a sub-domain, a tag group ("sales" exists when
    # the bulk test ran first)
    sales = live.http.post("/domains", json={"name": "sales"})
    assert sales.status_code in (201, 409), sales.text
    emea = live.http.post("/domains", json={"name": "EMEA sales", "parent": "sales"})
    assert emea.status_code == 201, emea.text
    tier = live.http.post(
        "/tag-groups",
        json={
            "name": "tier",
            "description": "How much we promise",
            "tags": [{"name": "gold", "description": "Watched"}, {"name": "silver"}],
        },
    )
    assert tier.status_code == 201, tier.text
    orders = live.asset(f"{SHOP}.orders").json()
    ok = live.http.patch(
        f"/assets/{orders['id']}",
        json={
            "description": "One row per order",
            "steward": "bob",
            "lifecycle": "production",
            "add_terms": ["/Sales/Order"],
            "custom_properties": {"tier": "gold", "n": 3},
        },
    )
    assert ok.status_code == 200, ok.text
    board = live.http.post(
        "/assets",
        json={
            "type": "dashboard",
            "name": 'Sales, "weekly"',
            "source": "bi2",
            "upstream": [f"{SHOP}.orders"],
            "properties": {"url": "https://bi/1"},
            "tags": ["kpi", "tier.gold"],
            "domain": "EMEA sales",
        },
    )
    assert board.status_code == 201, board.text
    chart = live.http.post(
        "/assets",
        json={
            "type": "chart",
            "name": "By week",
            "source": "bi2",
            "parent": board.json()["urn"],
            "description": "Bars",
        },
    )
    assert chart.status_code == 201, chart.text
    edge = live.http.post(
        "/lineage/edges",
        json={"source": f"{SHOP}.customers#email", "target": f"{SHOP}.orders#id"},
    )
    assert edge.status_code in (200, 201), edge.text
    col = live.asset(f"{SHOP}.customers#email").json()
    conf = live.http.post(
        f"/assets/{col['id']}/classifications/PII.Email/confirm", json={"note": "yes"}
    )
    assert conf.status_code == 200, conf.text
    rej = live.http.post(f"/assets/{col['id']}/classifications/PII.Phone/reject")
    assert rej.status_code == 200, rej.text
    # a data product whose ports are a scanned table and the manual assets
    product = live.http.post(
        "/data-products",
        json={
            "name": "Weekly sales",
            "description": "Orders by week",
            "owners": ["ann"],
            "domain": "sales",
            "sla": "Mondays by 9",
            "freshness_hours": 168,
            "inputs": [f"{SHOP}.orders"],
            "outputs": [board.json()["urn"]],
        },
    )
    assert product.status_code == 201, product.text
    published = live.http.patch(
        "/data-products/Weekly sales",
        json={"status": "published", "outputs": [board.json()["urn"], chart.json()["urn"]]},
    )
    assert published.status_code == 200 and published.json()["version"] == 2, published.text


def test_export_import_round_trip_into_an_empty_store(
    live: Live, tmp_path: Path, shop_db: Path
) -> None:
    _curate(live)
    jsonl = live.http.get("/catalog/export", params={"format": "jsonl"})
    assert jsonl.status_code == 200 and "ndjson" in jsonl.headers["content-type"]
    csv_ = live.http.get("/catalog/export", params={"format": "csv"}).text
    text = jsonl.text
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in text.splitlines()]
    # the organisation first, then the assets, then what names assets
    assert list(dict.fromkeys(kinds)) == [
        "domain",
        "tag_group",
        "manual_asset",
        "asset",
        "edge",
        "classification",
        "data_product",
    ]
    assert '"name": "EMEA sales", "parent": "sales"' in text and '"version": 2' in text
    glossary = live.http.get("/glossary/terms/export", params={"format": "csv"}).text
    for other in _start(tmp_path / "home2", shop_db):  # the same source scanned, nothing curated
        # terms are the glossary's: it travels by its own export/import, first
        copied = other.http.post(
            "/glossary/terms/import", json={"format": "csv", "content": glossary}
        )
        assert copied.status_code == 200, copied.text
        bad = text + '{"kind": "asset", "urn": "urn:sounding:shop:main.nope", "owner": "x"}\n'
        bad = '{"kind": "asset", "urn": "' + SHOP + '.orders", "lifecycle": "alive"}\n' + bad
        refused = other.http.post("/catalog/import", json={"format": "jsonl", "content": bad})
        assert refused.status_code == 422, refused.text
        errors = refused.json()["error"]["details"]["errors"]
        assert [e["line"] for e in errors] == [1, len(bad.splitlines())], errors
        assert "lifecycle" in errors[0]["message"] and "scan its source" in errors[1]["message"]
        assert other.http.get("/catalog/export").text == ""  # nothing half-written
        done = other.http.post("/catalog/import", json={"format": "csv", "content": csv_})
        assert done.status_code == 200, done.text
        result = done.json()
        assert result["rows"] == len(text.splitlines()) and result["unchanged"] == 0
        assert other.http.get("/catalog/export").text == text
        assert other.http.get("/catalog/export", params={"format": "csv"}).text == csv_
        again = other.http.post("/catalog/import", json={"format": "jsonl", "content": text})
        assert again.json()["unchanged"] == result["rows"]  # idempotent
        chart = other.asset('urn:sounding:bi2:chart."By week"').json()
        assert chart["description"] == "Bars"
        product = other.http.get("/data-products/Weekly sales").json()
        assert product["status"] == "published" and product["version"] == 2
        outputs = {a["urn"] for a in product["outputs"]}
        assert chart["urn"] in outputs and len(outputs) == 2
        emea = other.http.get("/domains/EMEA sales").json()
        assert emea["parent"] == "sales" and emea["asset_count"] == 1
