"""The home page's "What changed and what it breaks", end to end through a real server: a
column two views read is dropped, the source is re-scanned, and the home page shows the
change, the views downstream with their owners, and links to the lineage explorer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.api.test_change_impact_api import DDL, DROP_AMOUNT, Api, U
from tests.factories import execute, sqlite_source
from tests.ui.site import _cli

pytestmark = pytest.mark.slow
PASSWORD = "steward-pass-2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home-impact") / "home"
    started = ServerProcess(home)
    started.start()
    _cli(home, "user", "create", "stew", "--role", "steward", "--password-stdin", stdin=PASSWORD)
    try:
        yield started
    finally:
        started.stop()


def test_home_shows_a_dropped_column_and_what_it_breaks(
    server: ServerProcess, tmp_path: Path
) -> None:
    api = Api(server)
    db = tmp_path / "shop.db"
    added = api.http.post("/sources", json={"name": "shop", "url": sqlite_source(db, DDL)})
    assert added.status_code == 201, added.text
    api.scan("shop")
    for ref, owner in (("order_amounts", "ann@shop.example"), ("doubled", "bob@shop.example")):
        asset = api.http.get("/assets/by-urn", params={"urn": U + ref}).json()
        assert api.http.patch(f"/assets/{asset['id']}", json={"owner": owner}).status_code == 200
    rule = {"asset": U + "doubled", "kind": "not_null", "column": "twice", "name": "twice_set"}
    made = api.http.post("/quality/rules", json=rule)
    assert made.status_code == 201, made.text

    web = httpx.Client(base_url=server.base, timeout=30)
    answer = web.post("/login", data={"username": "stew", "password": PASSWORD, "next": "/"})
    assert answer.status_code == 303
    before = web.get("/").text
    assert "No scan found a dropped, renamed or retyped column" in before

    execute(db, DROP_AMOUNT)
    api.scan("shop")
    page = web.get("/").text
    section = page[page.index('id="impact-h"') : page.index('id="events-h"')]
    # the root change leads: the table's column, not the views' copies it caused
    changes = re.findall(
        r'<h3 id="change-\d+">\s*<span class="badge high">([^<]+)</span>\s*'
        r'<a href="/lineage\?focus=([^"]+)">([^<]+)</a>',
        section,
    )
    assert changes == [
        ("column dropped", quote(U + "orders#amount", safe=""), "main.orders.amount")
    ]
    rows = re.findall(
        r'<td><a href="/lineage\?focus=([^"]+)">([^<]+)</a>.*?</td>\s*'
        r'<td class="num">(\d+)</td>\s*<td>([^<]+)</td>\s*<td>(.*?)</td>',
        section,
        re.S,
    )
    assert [(name, hops, owner) for _, name, hops, owner, _ in rows] == [
        ("main.order_amounts.amount", "1", "ann@shop.example"),
        ("main.doubled.twice", "2", "bob@shop.example"),
    ]
    doubled = quote(U + "doubled", safe="")
    assert rows[1][4] == f'<a href="/quality?asset={doubled}">twice_set</a>'  # its rule
    assert "none" in rows[0][4]
    assert "main.notes" not in section  # it does not read the column
    assert "followed from these" in section  # the views' own copies, counted not repeated
    web.close()
    api.http.close()
