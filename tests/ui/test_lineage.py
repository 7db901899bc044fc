"""The lineage explorer's pages through a real server on the demo: the page and its data, the
JSON a click fetches, the impact table and its CSV, the picker, and bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow

STG_ORDERS = "urn:sounding:warehouse:main.stg_orders"
DATA = re.compile(r'<script type="application/json" id="lineage-data">(.*?)</script>', re.S)


def _data(html: str) -> dict[str, Any]:
    match = DATA.search(html)
    assert match, "no lineage data block on the page"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _nodes(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """qualified name -> node element."""
    return {
        e["data"].get("qn") or e["data"]["label"]: e
        for e in data["elements"]
        if e["group"] == "nodes"
    }


def test_the_page_draws_the_focus_one_hop_each_way(site: Site) -> None:
    client = site.as_user("viewer")
    page = client.get("/lineage", params={"focus": STG_ORDERS})
    assert page.status_code == 200
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    # only scripts from files, and the JSON data block: nothing inline runs
    for tag in re.findall(r"<script[^>]*>", page.text):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in page.text and " onclick" not in page.text
    data = _data(page.text)
    nodes = _nodes(data)
    assert nodes["main.stg_orders"]["position"] == {"x": 0.0, "y": 0.0}
    assert nodes["main.stg_orders"]["data"]["kind"] == "focus"
    upstream = {n for n, e in nodes.items() if e["data"]["kind"] == "upstream"}
    downstream = {n for n, e in nodes.items() if e["data"]["kind"] == "downstream"}
    assert upstream == {
        "main.raw_orders",
        "main.raw_customer_addresses",
        "main.stg_latest_exchange_rates",
    }
    assert "main.mart_order_summary" in downstream
    assert all(nodes[n]["position"]["x"] < 0 for n in upstream)
    assert all(nodes[n]["position"]["x"] > 0 for n in downstream)
    assert "main.raw_exchange_rates" not in nodes  # two hops up: not drawn yet
    # the impact table: everything downstream (any depth) with its owner
    assert 'id="impact"' in page.text
    text = page.text.replace("<wbr>", "")  # long names may wrap after . _ @ -
    assert "main.mart_cohort_retention" in text  # two hops down
    assert "sales-analytics@shop.example" in text
    assert 'href="/lineage/impact.csv?focus=' in page.text


def test_expanding_a_node_adds_its_neighbours(site: Site) -> None:
    client = site.as_user("viewer")
    first = _data(client.get("/lineage", params={"focus": STG_ORDERS}).text)
    rates = _nodes(first)["main.stg_latest_exchange_rates"]["data"]["id"]
    answer = client.get(
        "/lineage/graph.json",
        params={"focus": STG_ORDERS, "expand": rates},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    data = answer.json()
    nodes = _nodes(data)
    assert nodes["main.raw_exchange_rates"]["data"]["distance"] == -2
    assert data["added"] == [nodes["main.raw_exchange_rates"]["data"]["id"]]
    assert data["expanded"] == [int(rates)]
    assert data["url"] == f"/lineage?focus={STG_ORDERS}&expand={rates}"
    assert set(_nodes(first)) < set(nodes)
    # the page at that URL draws the same graph (the URL holds the state)
    again = _data(client.get(data["url"]).text)
    assert _nodes(again).keys() == nodes.keys()


def test_column_level_draws_columns_inside_tables(site: Site) -> None:
    client = site.as_user("viewer")
    page = client.get("/lineage", params={"focus": STG_ORDERS, "level": "column"})
    assert page.status_code == 200
    data = _data(page.text)
    nodes = [e for e in data["elements"] if e["group"] == "nodes"]
    tables = {e["data"]["id"]: e["data"]["qn"] for e in nodes if e["data"]["type"] != "column"}
    columns = [e for e in nodes if e["data"]["type"] == "column"]
    assert "main.stg_orders" in tables.values() and "main.raw_orders" in tables.values()
    assert columns and all(e["data"]["parent"] in tables for e in columns)
    assert any(e["data"]["qn"] == "main.stg_orders.order_id" for e in columns)
    assert 'id="level-column" name="level" value="column" checked' in page.text
    # the impact at column level lists columns with their table's owner
    sheet = client.get("/lineage/impact.csv", params={"focus": STG_ORDERS, "level": "column"})
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert rows and all(r["type"] == "column" and r["table"] for r in rows)


def test_whole_graph_view(site: Site) -> None:
    client = site.as_user("viewer")
    data = _data(client.get("/lineage", params={"focus": STG_ORDERS, "depth": "max"}).text)
    nodes = _nodes(data)
    assert data["depth"] == "max" and not data["truncated"]
    assert {"main.raw_exchange_rates", "main.mart_cohort_retention"} <= set(nodes)
    assert {e["data"]["kind"] for e in nodes.values()} >= {"focus", "upstream", "downstream"}


def test_impact_csv_lists_every_downstream_asset_with_its_owner(site: Site) -> None:
    client = site.as_user("viewer")
    answer = client.get("/lineage/impact.csv", params={"focus": STG_ORDERS})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert (
        'attachment; filename="impact-main.stg_orders.csv"' in answer.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_name = {r["qualified_name"]: r for r in rows}
    assert by_name["main.mart_order_summary"]["distance"] == "1"
    assert by_name["main.mart_order_summary"]["owner"] == "sales-analytics@shop.example"
    assert by_name["main.mart_cohort_retention"]["distance"] == "2"
    assert by_name["main.mart_cohort_retention"]["path"] == (
        "main.stg_orders > main.mart_order_summary > main.mart_cohort_retention"
    )
    assert [int(r["distance"]) for r in rows] == sorted(int(r["distance"]) for r in rows)


def test_impact_pages_come_as_htmx_fragments(site: Site) -> None:
    client = site.as_user("viewer")
    fragment = client.get(
        "/lineage/impact",
        params={"focus": STG_ORDERS, "level": "column", "ipage": "2"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "51\u2013" in fragment.text and "Previous" in fragment.text
    plain = client.get("/lineage/impact", params={"focus": STG_ORDERS, "ipage": "2"})
    assert plain.status_code == 303 and plain.headers["location"].startswith("/lineage?")


def test_the_picker_finds_assets(site: Site) -> None:
    client = site.as_user("viewer")
    start = client.get("/lineage")
    assert start.status_code == 200 and "Pick an asset" in start.text
    assert "main.stg_orders" in start.text  # the assets with the most lineage come first
    found = client.get("/lineage", params={"q": "exchange_rates"})
    assert "main.raw_exchange_rates" in found.text and "main.stg_orders" not in found.text


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"focus": STG_ORDERS, "depth": "0"}, 422, "Depth must be"),
        ({"focus": STG_ORDERS, "depth": "lots"}, 422, "Depth must be"),
        ({"focus": STG_ORDERS, "level": "row"}, 422, "Level must be"),
        ({"focus": STG_ORDERS, "expand": "1,x"}, 422, "expand lists asset ids"),
        ({"focus": STG_ORDERS, "ipage": "-1"}, 422, "ipage must be"),
        ({"focus": "urn:sounding:nowhere:x"}, 404, "not found"),
        ({"focus": "x" * 3000}, 422, "too long"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    site: Site, params: dict[str, str], status: int, message: str
) -> None:
    client = site.as_user("viewer")
    page = client.get("/lineage", params=params, headers={"Accept": "text/html"})
    assert page.status_code == status and message in page.text
    if "ipage" in params:
        return  # the JSON has no pages
    data = client.get("/lineage/graph.json", params=params, headers={"Accept": "application/json"})
    assert data.status_code == status and message in data.json()["error"]["message"]


def test_anonymous_visitors_are_sent_to_log_in(site: Site) -> None:
    for path in ("/lineage", "/lineage/graph.json?focus=1", "/lineage/impact.csv?focus=1"):
        answer = httpx.get(f"{site.base}{path}", headers={"Accept": "text/html"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
