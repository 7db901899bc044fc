"""The glossary API through the real app: terms, tree, status, files, links, suggestions."""

from __future__ import annotations

from typing import Any

from sounding.domain.auth import Principal, Role
from sounding.services import scans
from tests.api.conftest import Api

BASE = "/api/v1/glossary/terms"
CSV = (
    "path,synonyms,classifications\n"
    "/Customer,Client|Buyer,\n"
    "/Customer/Email Address,Email,PII.Email\n"
)


def _scan(api: Api) -> None:
    scans.run_scan(api.app.state.ctx, Principal("tester", Role.ADMIN), "shop")


def test_term_crud_tree_and_approval(api: Api) -> None:
    created = api.call("POST", BASE, json={"path": "/Finance", "definition": "Money"})
    assert created.status_code == 201, created.text
    fin = created.json()
    child = api.call("POST", BASE, json={"name": "Revenue", "parent": "/Finance"}, role="steward")
    assert child.status_code == 201 and child.json()["path"] == "/Finance/Revenue"
    assert api.call("POST", BASE, json={"name": "revenue", "parent": "/Finance"}).status_code == 409
    assert api.call("POST", BASE, json={"name": "a/b"}).status_code == 422
    assert api.call("POST", BASE, json={"name": "X", "status": "approved"}).status_code == 422
    by_path = api.call("GET", f"{BASE}/by-path", params={"path": "/finance/revenue"}, role="viewer")
    assert by_path.json()["id"] == child.json()["id"]
    tree = api.call("GET", f"{BASE}/tree", role="viewer").json()["items"]
    assert tree[0]["name"] == "Finance" and tree[0]["children"][0]["name"] == "Revenue"
    typo = api.call("GET", f"{BASE}/tree", params={"status": "aproved"}, role="viewer")
    assert typo.status_code == 422 and "draft, approved, deprecated" in typo.text
    patched = api.call("PATCH", f"{BASE}/{fin['id']}", json={"name": "Money", "synonyms": ["Cash"]})
    assert patched.json()["synonyms"] == ["Cash"]
    assert api.call("GET", f"{BASE}/{child.json()['id']}").json()["path"] == "/Money/Revenue"
    approved = api.call("POST", f"{BASE}/{fin['id']}/approve", json={"note": "ok"}, role="steward")
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"] == "steward1"
    assert api.call("POST", f"{BASE}/{fin['id']}/approve").status_code == 409
    assert api.call("POST", f"{BASE}/{fin['id']}/deprecate").json()["status"] == "deprecated"
    listed = api.call("GET", BASE, params={"status": "deprecated"}, role="viewer").json()
    assert [t["path"] for t in listed["items"]] == ["/Money"]
    assert api.call("DELETE", f"{BASE}/{fin['id']}").status_code == 409  # has a child
    assert api.call("DELETE", f"{BASE}/{fin['id']}?recursive=true").status_code == 204
    assert api.call("GET", f"{BASE}/{fin['id']}").status_code == 404
    audit = api.call("GET", "/api/v1/audit", params={"user": "steward1"}).json()["items"]
    assert ("glossary.term.approve", "/Money") in [(e["action"], e["target"]) for e in audit]


def test_import_export_and_bad_files(api: Api) -> None:
    done = api.call("POST", f"{BASE}/import", json={"format": "csv", "content": CSV})
    assert done.status_code == 200 and done.json()["created"] == 2
    exported = api.call("GET", f"{BASE}/export", params={"format": "csv"}, role="viewer")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "/Customer/Email Address,,Email" in exported.text
    as_json = api.call("GET", f"{BASE}/export", params={"format": "json"}).json()
    assert [t["path"] for t in as_json["terms"]] == ["/Customer", "/Customer/Email Address"]
    bad = api.call("POST", f"{BASE}/import", json={"content": "path,status\n/A,final\n"})
    assert bad.status_code == 422 and "line 2" in bad.json()["error"]["message"]


def test_links_and_suggestions(api: Api) -> None:
    _scan(api)
    api.call("POST", f"{BASE}/import", json={"content": CSV})
    customer = api.call("GET", f"{BASE}/by-path", params={"path": "/Customer"}).json()
    generated = api.call("POST", f"{BASE}/suggestions/generate", json={"source": "shop"})
    assert generated.status_code == 200 and generated.json()["suggested"] >= 2
    items = api.call("GET", f"{BASE}/suggestions", role="viewer").json()["items"]
    pairs = {(i["term_path"], i["qualified_name"]): i for i in items}
    email = pairs[("/Customer/Email Address", "main.customers.email")]
    assert email["confidence"] >= 0.6 and email["reasons"]
    rejected = api.call("POST", f"{BASE}/suggestions/{email['id']}/reject", role="steward")
    assert rejected.json()["status"] == "rejected"
    accepted = pairs[("/Customer", "main.customers")]
    assert api.call("POST", f"{BASE}/suggestions/{accepted['id']}/accept").status_code == 200
    assert api.call("POST", f"{BASE}/suggestions/99999/accept").status_code == 404
    api.call("POST", f"{BASE}/suggestions/generate")
    again = api.call("GET", f"{BASE}/suggestions").json()["items"]
    assert ("/Customer/Email Address", "main.customers.email") not in {
        (i["term_path"], i["qualified_name"]) for i in again
    }
    linked = api.call(
        "POST", f"{BASE}/{customer['id']}/assets", json={"asset": "urn:sounding:shop:main.orders"}
    )
    assert linked.status_code == 201
    assets = api.call("GET", f"{BASE}/{customer['id']}/assets", role="viewer").json()
    assert {a["qualified_name"] for a in assets["items"]} == {"main.customers", "main.orders"}
    gone = api.call(
        "DELETE",
        f"{BASE}/{customer['id']}/assets",
        params={"asset": "urn:sounding:shop:main.orders"},
    )
    assert gone.status_code == 204
    assert api.call("GET", f"{BASE}/{customer['id']}/assets").json()["total"] == 1
    found = api.call("GET", "/api/v1/search", params={"q": "buyer", "mode": "keyword"}).json()
    assert {(h["type"], h["name"]) for h in found["items"]} >= {
        ("glossary_term", "Customer"),
        ("table", "customers"),
    }
    completions: Any = api.call("GET", "/api/v1/search/suggest", params={"q": "cust"}).json()
    assert ("Customer", "term") in {(i["text"], i["kind"]) for i in completions["items"]}
