"""Lost updates (issue 11 item 10), through a real `sounding serve`.

``add_tags``/``remove_tags``/``add_terms``/``remove_terms`` change an asset's lists as stored
at the moment of the write, so concurrent stewards never erase each other's tags; every
editable resource answers with an ``ETag`` and refuses a write whose ``If-Match`` is stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source

SHOP = "urn:sounding:shop:main."


@dataclass
class Server:
    base: str
    client: httpx.Client

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, f"{self.base}/api/v1{path}", **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shop source scanned and classified, one glossary term, one quality rule, one
    workflow and the compliance findings of one evaluation."""
    home = tmp_path_factory.mktemp("etags")
    proc = ServerProcess(home / "home")
    proc.start()
    try:
        with httpx.Client(headers=proc.headers, timeout=60) as client:
            srv = Server(proc.base, client)
            url = sqlite_source(home / "shop.db")
            assert srv.call("POST", "/sources", json={"name": "shop", "url": url}).is_success
            scan = srv.call("POST", "/scans", json={"source": "shop", "classify": True}).json()
            deadline = time.monotonic() + 60
            while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
                time.sleep(0.05)
                scan = srv.call("GET", f"/scans/{scan['id']}").json()
            assert scan["status"] == "completed", scan
            for term in ("/Sales", "/Sales/Customer", "/Sales/Order"):
                made = srv.call("POST", "/glossary/terms", json={"path": term})
                assert made.status_code == 201, made.text
                assert made.headers["ETag"] == f'"{made.json()["id"]}.1"'  # created: revision 1
            rule = {"asset": SHOP + "orders", "kind": "not_null", "column": "customer_id"}
            flow = {"name": "nightly", "steps": [{"id": "d", "type": "discover"}]}
            flow["steps"][0]["config"] = {"source": "shop"}
            for path, body in (
                ("/quality/rules", rule),
                ("/orchestrations", flow),
                ("/compliance/evaluations", {}),
            ):
                made = srv.call("POST", path, json=body)
                assert made.is_success, made.text
                assert path == "/compliance/evaluations" or "ETag" in made.headers
            yield srv
    finally:
        proc.stop()


def test_concurrent_tag_adds_are_all_kept(server: Server) -> None:
    """Ten stewards add distinct tags to three assets at once: every acknowledged tag stays."""
    urns = [SHOP + "orders", SHOP + "customers", SHOP + "orders#amount"]
    acknowledged: dict[str, set[str]] = {u: set() for u in urns}

    def steward(i: int) -> list[tuple[str, str, int]]:
        with httpx.Client(headers=server.client.headers, timeout=60) as own:
            done = []
            for k in range(12):
                urn, tag = urns[k % 3], f"s{i}-t{k}"
                path = f"{server.base}/api/v1/assets/{quote(urn, safe=':')}"
                resp = own.patch(path, json={"add_tags": [tag]})
                done.append((urn, tag, resp.status_code))
            return done

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = [r for batch in pool.map(steward, range(10)) for r in batch]
    for urn, tag, status in results:
        assert status == 200, (urn, tag, status)
        acknowledged[urn].add(tag)
    for urn in urns:
        stored = set(server.call("GET", f"/assets/{quote(urn, safe=':')}").json()["tags"])
        assert acknowledged[urn] <= stored, sorted(acknowledged[urn] - stored)
        assert len(acknowledged[urn]) == 40
        assert {t for t in stored if t.startswith("s")} == acknowledged[urn]
    # removing takes off only what it names, from the list as stored
    first = urns[0]
    gone = sorted(acknowledged[first])[:5]
    after = server.call("PATCH", f"/assets/{first}", json={"remove_tags": gone}).json()["tags"]
    assert set(after) == acknowledged[first] - set(gone)


def test_terms_are_added_and_removed_on_the_asset(server: Server) -> None:
    urn = SHOP + "customers"
    body = {"add_terms": ["/Sales/Customer", "/Sales/Order"]}
    linked = server.call("PATCH", f"/assets/{urn}", json=body)
    assert linked.status_code == 200, linked.text
    assert linked.json()["glossary_terms"] == ["/Sales/Customer", "/Sales/Order"]
    term = server.call("GET", "/glossary/terms/by-path", params={"path": "/Sales/Customer"}).json()
    assets = server.call("GET", f"/glossary/terms/{term['id']}/assets").json()["items"]
    assert [a["urn"] for a in assets] == [urn]
    dropped = server.call("PATCH", f"/assets/{urn}", json={"remove_terms": ["/Sales/Order"]})
    assert dropped.json()["glossary_terms"] == ["/Sales/Customer"]
    unknown = server.call("PATCH", f"/assets/{urn}", json={"add_terms": ["/Sales/Nope"]})
    assert unknown.status_code == 404 and "/Sales/Nope" in unknown.text
    both = server.call("PATCH", f"/assets/{urn}", json={"tags": ["a"], "add_tags": ["b"]})
    assert both.status_code == 422 and "not both" in both.json()["error"]["message"]


def test_a_stale_if_match_is_refused_and_changes_nothing(server: Server) -> None:
    path = f"/assets/{SHOP}orders"
    read = server.call("GET", path)
    etag = read.headers["ETag"]
    fresh = server.call(
        "PATCH", path, json={"description": "Orders, one per sale"}, headers={"If-Match": etag}
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["ETag"] != etag
    assert server.call("GET", path).headers["ETag"] == fresh.headers["ETag"]

    stale = server.call(
        "PATCH", path, json={"description": "overwritten"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412, stale.text
    error = stale.json()["error"]
    assert error["type"] == "PreconditionFailedError"
    assert "changed since you read it" in error["message"]
    assert error["details"]["etag"] == fresh.headers["ETag"]
    now = server.call("GET", path)
    assert now.json()["description"] == "Orders, one per sale"
    assert now.headers["ETag"] == fresh.headers["ETag"]  # the refused write left no trace

    anyone = server.call("PATCH", path, json={"owner": "ann"}, headers={"If-Match": "*"})
    assert anyone.status_code == 200
    listed = server.call(
        "PATCH", path, json={"owner": "bob"}, headers={"If-Match": f'"x", {anyone.headers["ETag"]}'}
    )
    assert listed.status_code == 200  # any of several tags
    bad = server.call("PATCH", path, json={"owner": "eve"}, headers={"If-Match": "12.3"})
    assert bad.status_code == 422 and "quotes included" in bad.text
    assert server.call("GET", path).json()["owner"] == "bob"


def test_two_writers_with_one_etag_only_one_wins(server: Server) -> None:
    path = f"/assets/{SHOP}customers"
    etag = server.call("GET", path).headers["ETag"]

    def write(i: int) -> int:
        resp = server.call(
            "PATCH", path, json={"description": f"writer {i}"}, headers={"If-Match": etag}
        )
        return resp.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(write, range(8)))
    assert statuses == [200] + [412] * 7


def _first_finding(server: Server) -> str:
    found = server.call("GET", "/compliance/findings", params={"status": "open"}).json()
    assert found["items"], "the evaluation found nothing to test with"
    return f"/compliance/findings/{found['items'][0]['id']}"


def _rule(server: Server) -> str:
    rules = server.call("GET", "/quality/rules").json()["items"]
    return f"/quality/rules/{rules[0]['id']}"


def _term(server: Server) -> str:
    term = server.call("GET", "/glossary/terms/by-path", params={"path": "/Sales/Order"}).json()
    return f"/glossary/terms/{term['id']}"


# kind -> (path of the resource, a write to it: method, path suffix, JSON body)
Write = tuple[str, str, dict[str, Any]]
KINDS: dict[str, tuple[Callable[[Server], str], Write]] = {
    "source": (lambda s: "/sources/shop", ("PATCH", "", {"description": "The web shop"})),
    "asset": (lambda s: f"/assets/{SHOP}orders", ("PATCH", "", {"add_tags": ["gold"]})),
    "glossary term": (_term, ("PATCH", "", {"definition": "A confirmed purchase"})),
    "quality rule": (_rule, ("PATCH", "", {"severity": "warning"})),
    "workflow": (
        lambda s: "/orchestrations/nightly",
        (
            "POST",
            "..",
            {"name": "nightly", "steps": [{"id": "d2", "type": "sleep", "config": {}}]},
        ),
    ),
    "compliance finding": (
        _first_finding,
        ("POST", "/accept", {"justification": "Test data only, dropped next sprint"}),
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_editable_resource_has_an_etag_and_honours_if_match(
    server: Server, kind: str
) -> None:
    where, (method, suffix, body) = KINDS[kind]
    path = where(server)
    target = path.rsplit("/", 1)[0] if suffix == ".." else path + suffix
    read = server.call("GET", path)
    assert read.status_code == 200, read.text
    etag = read.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert read.json()["revision"] >= 1

    stale = '"0.0"'
    refused = server.call(method, target, json=body, headers={"If-Match": stale})
    assert refused.status_code == 412, (kind, refused.text)
    assert server.call("GET", path).headers["ETag"] == etag  # nothing changed

    written = server.call(method, target, json=body, headers={"If-Match": etag})
    assert written.status_code in (200, 201), (kind, written.text)
    assert written.headers["ETag"] != etag
    assert server.call("GET", path).headers["ETag"] == written.headers["ETag"]
    again = server.call(method, target, json=body, headers={"If-Match": etag})
    assert again.status_code == 412, kind  # the ETag read before that write is stale now


def test_deletes_honour_if_match(server: Server) -> None:
    made = server.call("POST", "/glossary/terms", json={"path": "/Scratch"}).json()
    path = f"/glossary/terms/{made['id']}"
    etag = server.call("GET", path).headers["ETag"]
    server.call("PATCH", path, json={"definition": "changed by someone else"})
    assert server.call("DELETE", path, headers={"If-Match": etag}).status_code == 412
    assert server.call("GET", path).status_code == 200
    current = server.call("GET", path).headers["ETag"]
    assert server.call("DELETE", path, headers={"If-Match": current}).status_code == 204
    assert server.call("GET", path).status_code == 404


def test_a_rescan_that_only_sees_an_asset_again_keeps_its_etag(
    server: Server, tmp_path: Path
) -> None:
    path = f"/assets/{SHOP}customers"
    etag = server.call("GET", path).headers["ETag"]
    scan = server.call("POST", "/scans", json={"source": "shop"}).json()
    deadline = time.monotonic() + 60
    while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        scan = server.call("GET", f"/scans/{scan['id']}").json()
    assert scan["status"] == "completed"
    assert server.call("GET", path).headers["ETag"] == etag
