"""The glossary pages over HTTP on the demo store: the tree, a term's page, approval with its
stale-revision check, link suggestions, CSV import (every bad row named, nothing changed)
and export, and what a viewer may not do.

Objects these tests change (nobody else relies on them): /Customer/Retention Rate's status,
terms under /UiReview and /Sales/Basket Size (created here), and one suggestion of
/Marketing/Web Session.
"""

from __future__ import annotations

import re
import sqlite3
from html import unescape
from typing import Any

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}


def _api(site: Site, url: str, **params: Any) -> Any:
    url = url.replace("/glossary", "/glossary/terms", 1)
    answer = httpx.get(f"{site.base}/api/v1{url}", params=params, headers=site.server.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _term(site: Site, path: str) -> dict[str, Any]:
    term: dict[str, Any] = _api(site, "/glossary/by-path", path=path)
    return term


def test_the_tree_and_a_terms_page(site: Site) -> None:
    client = site.as_user("viewer")
    page = client.get("/glossary")
    assert page.status_code == 200
    text = unescape(page.text)
    total = _api(site, "/glossary", limit=1)["total"]
    assert f"{total} terms" in text
    email = _term(site, "/Customer/Email Address")
    assert f'<a href="/glossary/terms/{email["id"]}">Email Address</a>' in page.text
    drafts = client.get("/glossary?status=draft")
    draft_total = _api(site, "/glossary", status="draft", limit=1)["total"]
    assert f"{draft_total} terms (draft)" in unescape(drafts.text)
    assert client.get("/glossary?status=bogus", headers=HTML).status_code == 422
    term = client.get(f"/glossary/terms/{email['id']}")
    assert term.status_code == 200
    shown = unescape(term.text)
    assert email["definition"] in shown
    assert all(s in shown for s in email["synonyms"])
    for related in email["related"]:
        assert related in shown
    linked = _api(site, f"/glossary/{email['id']}/assets", limit=1)["total"]
    assert f"{linked} linked asset" in shown
    pending = _api(site, "/glossary/suggestions", term=email["path"], limit=1)["total"]
    assert f"{pending} suggested link" in shown
    missing = client.get("/glossary/terms/987654", headers=HTML)
    assert missing.status_code == 404


def test_viewers_see_no_controls_and_forged_posts_are_refused(site: Site) -> None:
    viewer = site.as_user("viewer")
    draft = _term(site, "/Customer/Retention Rate")
    term_page = viewer.get(f"/glossary/terms/{draft['id']}")
    assert ">Approve</button>" not in term_page.text and "Accept</button>" not in term_page.text
    index = viewer.get("/glossary")
    assert 'action="/glossary/import"' not in index.text and "Export CSV" in index.text
    suggestion = _api(site, "/glossary/suggestions", limit=1)["items"][0]
    token = site.csrf(viewer)
    for path, data in (
        (f"/glossary/terms/{draft['id']}/approve", {"revision": draft["revision"]}),
        (f"/glossary/suggestions/{suggestion['id']}/accept", {}),
    ):
        forged = viewer.post(path, data={"csrf_token": token, **data})
        assert forged.status_code == 403, path
    upload = viewer.post(
        "/glossary/import",
        data={"csrf_token": token},
        files={"file": ("g.csv", b"path\n/Forged\n", "text/csv")},
    )
    assert upload.status_code == 403
    assert _term(site, "/Customer/Retention Rate")["status"] == "draft"
    assert _api(site, "/glossary", q="Forged", limit=1)["total"] == 0


def test_approve_a_term_with_the_revision_seen(site: Site) -> None:
    client = site.as_user("steward")
    term = _term(site, "/Customer/Retention Rate")
    page = client.get(f"/glossary/terms/{term['id']}")
    assert ">Approve</button>" in page.text and f'value="{term["revision"]}"' in page.text
    token = site.csrf(client)
    stale = client.post(
        f"/glossary/terms/{term['id']}/approve",
        data={"csrf_token": token, "revision": term["revision"] + 5},
        headers=HTML,
    )
    assert stale.status_code == 412
    done = client.post(
        f"/glossary/terms/{term['id']}/approve",
        data={"csrf_token": token, "revision": term["revision"], "note": "agreed in council"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/glossary/terms/{term['id']}?done=approve"
    shown = unescape(client.get(done.headers["location"]).text)
    assert "Term approved." in shown and "approved by steward" in shown
    after = _term(site, "/Customer/Retention Rate")
    assert after["status"] == "approved" and after["approved_by"] == "steward"
    # approved → approved is not a transition the page offers, nor one the server takes
    again = client.post(
        f"/glossary/terms/{term['id']}/approve",
        data={"csrf_token": token, "revision": after["revision"]},
        headers=HTML,
    )
    assert again.status_code in (409, 422)
    bad = client.post(
        f"/glossary/terms/{term['id']}/publish",
        data={"csrf_token": token, "revision": after["revision"]},
        headers=HTML,
    )
    assert bad.status_code == 422


def test_accept_a_suggestion_in_place(site: Site) -> None:
    client = site.as_user("steward")
    items = _api(site, "/glossary/suggestions", term="/Marketing/Web Session", limit=50)["items"]
    target = items[0]
    listing = client.get("/glossary/suggestions?term=/Marketing/Web Session")
    assert f'id="suggestion-{target["id"]}"' in listing.text
    answer = client.post(
        f"/glossary/suggestions/{target['id']}/accept",
        headers={"HX-Request": "true", "X-CSRF-Token": site.csrf(client)},
    )
    assert answer.status_code == 200
    assert answer.text.strip().startswith(f'<tr id="suggestion-{target["id"]}"')
    assert "accepted by steward" in answer.text and "toast" in answer.headers["HX-Trigger"]
    again = client.post(
        f"/glossary/suggestions/{target['id']}/reject",
        headers={"HX-Request": "true", "X-CSRF-Token": site.csrf(client), **HTML},
    )
    assert again.status_code == 409 and "already accepted" in again.text
    linked = _api(site, f"/glossary/{target['term_id']}/assets", limit=200)["items"]
    assert target["asset_id"] in {a["asset_id"] for a in linked}


def test_a_steward_creates_a_draft_term(site: Site) -> None:
    client = site.as_user("steward")
    assert 'action="/glossary/terms"' in client.get("/glossary").text
    assert 'action="/glossary/terms"' not in site.as_user("viewer").get("/glossary").text
    token = site.csrf(client)
    made = client.post(
        "/glossary/terms",
        data={
            "csrf_token": token,
            "name": "Basket Size",
            "parent": "/Sales",
            "definition": "Items per order",
            "synonyms": "items per order, cart size",
        },
    )
    assert made.status_code == 303
    term = _term(site, "/Sales/Basket Size")
    assert made.headers["location"] == f"/glossary/terms/{term['id']}?done=create"
    assert term["status"] == "draft" and term["synonyms"] == ["items per order", "cart size"]
    assert "Term created as a draft." in unescape(client.get(made.headers["location"]).text)
    twice = client.post(
        "/glossary/terms",
        data={"csrf_token": token, "name": "Basket Size", "parent": "/Sales"},
        headers=HTML,
    )
    assert twice.status_code == 409
    orphan = client.post(
        "/glossary/terms",
        data={"csrf_token": token, "name": "X", "parent": "/Nowhere"},
        headers=HTML,
    )
    assert orphan.status_code == 404 and "/Nowhere" in unescape(orphan.text)


def test_csv_import_names_every_bad_row_and_changes_nothing(site: Site) -> None:
    client = site.as_user("steward")
    token = site.csrf(client, "/glossary")
    bad = (
        "path,definition,status\n"
        "/UiReview/Good,fine,draft\n"
        "/UiReview/Bad,,flying\n"
        "/UiReview/Good,again,draft\n"
    )
    answer = client.post(
        "/glossary/import",
        data={"csrf_token": token, "format": "csv"},
        files={"file": ("terms.csv", bad.encode(), "text/csv")},
    )
    assert answer.status_code == 422
    text = unescape(answer.text)
    assert "Nothing was imported" in text
    rows = re.findall(r"<tr><td>line (\d+)</td>", answer.text)
    assert rows == ["3", "4"]
    assert _api(site, "/glossary", q="UiReview", limit=1)["total"] == 0
    good = "path,definition,synonyms\n/UiReview/Churn,Customers who left,attrition|lapse\n"
    done = client.post(
        "/glossary/import",
        data={"csrf_token": token, "format": "csv"},
        files={"file": ("terms.csv", good.encode(), "text/csv")},
    )
    assert done.status_code == 200
    assert "Imported 1 term: 1 created, 0 updated, 1 missing parent created as draft" in unescape(
        done.text
    )
    churn = _term(site, "/UiReview/Churn")
    assert churn["synonyms"] == ["attrition", "lapse"] and churn["status"] == "draft"
    for content, message in (
        (b"", "The file is empty"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"name\nx\n", "must name a 'path' column"),
        (b"x" * (2 * 1024 * 1024 + 10), "larger than 2 MiB"),
    ):
        refused = client.post(
            "/glossary/import",
            data={"csrf_token": token},
            files={"file": ("t.csv", content, "text/csv")},
            headers=HTML,
        )
        assert refused.status_code in (413, 422), message
        assert message in unescape(refused.text), message
    conn = sqlite3.connect(site.server.home / "sounding.db")
    try:
        imports = conn.execute(
            "SELECT count(*) FROM audit_log WHERE actor = 'steward' AND action = 'glossary.import'"
        ).fetchone()[0]
    finally:
        conn.close()
    assert imports == 1


def test_export_downloads_what_import_reads(site: Site) -> None:
    client = site.as_user("viewer")
    csv = client.get("/glossary/export?format=csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="glossary.csv"'
    assert csv.text.splitlines()[0].startswith("path,")
    assert "/Customer/Email Address" in csv.text
    js = client.get("/glossary/export?format=json")
    assert js.status_code == 200 and js.json()
    assert client.get("/glossary/export?format=xml", headers=HTML).status_code == 422
