"""The quality and compliance pages over HTTP on the demo store: filters, masking, the
finding lifecycle, permissions and the report document."""

from __future__ import annotations

import re
import sqlite3
from html import unescape

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _findings(site: Site, **filters: str) -> list[dict[str, object]]:
    answer = httpx.get(
        f"{site.base}/api/v1/compliance/findings",
        params={"limit": 500, **filters},
        headers=site.server.headers,
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="finding-(\d+)"', html)]


def test_quality_page_shows_failing_rules_first_and_masks_examples_for_viewers(
    site: Site,
) -> None:
    steward = site.as_user("steward").get("/quality?status=failing")
    assert steward.status_code == 200
    assert "failing rules" in steward.text and "unique(email)" in steward.text
    assert 'class="badge passed"' not in steward.text  # only failing rules listed
    assert EMAIL.search(steward.text)  # a steward may read personal data
    viewer = site.as_user("viewer").get("/quality?status=failing")
    assert viewer.status_code == 200 and "unique(email)" in viewer.text
    # the same examples, masked: no e-mail address reaches a viewer
    emails = {m for m in EMAIL.findall(viewer.text) if not m.endswith(("example.com",))}
    assert emails == set()


def test_quality_filters_are_checked_and_scoped(site: Site) -> None:
    client = site.as_user("viewer")
    bad = client.get("/quality?status=broken", headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "Unknown status 'broken'" in unescape(bad.text)
    assert client.get("/quality?days=0").status_code == 422
    missing = client.get("/quality?source=nowhere", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "nowhere" in missing.text
    scoped = client.get("/quality?source=warehouse")
    assert scoped.status_code == 200 and "Quality · warehouse" in scoped.text
    assert "Run rules of warehouse now" not in scoped.text  # viewers run nothing


def test_a_steward_runs_a_sources_rules_now(site: Site) -> None:
    client = site.as_user("steward")
    page = client.get("/quality?source=warehouse")
    assert "Run rules of warehouse now" in page.text
    ran = client.post(
        "/quality/runs", data={"csrf_token": site.csrf(client), "source": "warehouse"}
    )
    assert ran.status_code == 303
    assert re.fullmatch(r"/quality\?source=warehouse&ran=\d+", ran.headers["location"])
    shown = client.get(ran.headers["location"])
    assert re.search(r"Run \d+ (succeeded|failed): \d+ of \d+ rules passed", shown.text)


def test_viewers_see_no_actions_and_forged_posts_are_refused(site: Site) -> None:
    viewer = site.as_user("viewer")
    target = _findings(site, status="open", framework="ccpa")[0]
    page = viewer.get(f"/compliance/findings/{target['id']}")
    assert page.status_code == 200 and '<form method="post" action="/compliance' not in page.text
    listing = viewer.get("/compliance?framework=ccpa")
    assert ">Acknowledge</button>" not in listing.text
    token = site.csrf(viewer)  # a valid token of the viewer's own session
    for path, data in (
        (f"/compliance/findings/{target['id']}/acknowledge", {"revision": target["revision"]}),
        ("/quality/runs", {"source": "warehouse"}),
    ):
        forged = viewer.post(path, data={"csrf_token": token, **data})
        assert forged.status_code == 403, path
    after = _findings(site, status="open", framework="ccpa")[0]
    assert after["revision"] == target["revision"] and after["acknowledged_by"] is None


def test_compliance_filters_and_frameworks(site: Site) -> None:
    client = site.as_user("viewer")
    page = client.get("/compliance?severity=critical&status=open")
    assert page.status_code == 200
    critical = {f["id"] for f in _findings(site, severity="critical", status="open")}
    assert set(_row_ids(page.text)) == critical and critical
    assert "Payment Card Industry" in page.text  # the framework tiles
    every = client.get("/compliance?status=all")
    assert len(_row_ids(every.text)) == len(_findings(site))
    bad = client.get("/compliance?severity=urgent", headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "Unknown severity" in bad.text


def test_finding_lifecycle_from_its_page(site: Site) -> None:
    client = site.as_user("steward")
    finding = _findings(site, status="open", framework="gdpr", severity="medium")[-1]
    fid, revision = finding["id"], finding["revision"]
    token = site.csrf(client)
    # a stale revision is refused, nothing changes
    stale = client.post(
        f"/compliance/findings/{fid}/acknowledge",
        data={"csrf_token": token, "revision": int(str(revision)) + 7},
        headers={"Accept": "text/html"},
    )
    assert stale.status_code == 412 and "Changed meanwhile" in stale.text
    done = client.post(
        f"/compliance/findings/{fid}/acknowledge",
        data={"csrf_token": token, "revision": revision, "note": "asking the owner"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/compliance/findings/{fid}?done=acknowledge"
    page = client.get(done.headers["location"])
    assert "acknowledged by steward" in page.text and "asking the owner" in page.text
    revision = _findings(site, framework="gdpr", severity="medium")[-1]["revision"]
    short = client.post(
        f"/compliance/findings/{fid}/accept",
        data={"csrf_token": token, "revision": revision, "note": "fine"},
        headers={"Accept": "text/html"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    accepted = client.post(
        f"/compliance/findings/{fid}/accept",
        data={"csrf_token": token, "revision": revision, "note": "Legacy table, gone in Q3"},
    )
    assert accepted.status_code == 303
    history = client.get(f"/compliance/findings/{fid}").text
    assert history.index("acknowledged") < history.index("Legacy table, gone in Q3")
    conn = sqlite3.connect(site.server.home / "sounding.db")
    try:
        actions = {
            a
            for (a,) in conn.execute(
                "SELECT action FROM audit_log WHERE actor = 'steward' AND target = ?", (str(fid),)
            )
        }
    finally:
        conn.close()
    assert {"compliance.finding.acknowledge", "compliance.finding.accept"} <= actions


def test_htmx_acknowledge_redraws_the_row(site: Site) -> None:
    client = site.as_user("admin")
    finding = _findings(site, status="open", framework="ccpa")[-1]
    answer = client.post(
        f"/compliance/findings/{finding['id']}/acknowledge",
        data={"revision": finding["revision"]},
        headers={"HX-Request": "true", "X-CSRF-Token": site.csrf(client)},
    )
    assert answer.status_code == 200
    assert answer.text.strip().startswith(f'<tr id="finding-{finding["id"]}">')
    assert "acknowledged by admin" in answer.text and "toast" in answer.headers["HX-Trigger"]
    again = client.post(
        f"/compliance/findings/{finding['id']}/acknowledge",
        data={"revision": finding["revision"] + 1},
        headers={"HX-Request": "true", "X-CSRF-Token": site.csrf(client)},
    )
    assert again.status_code == 409 and "acknowledged already" in again.text


def test_the_report_is_its_own_document_without_scripts(site: Site) -> None:
    client = site.as_user("viewer")
    html = client.get("/compliance/reports/gdpr")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    csp = html.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    csv = client.get("/compliance/reports/pci_dss?format=csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert client.get("/compliance/reports/gdpr?format=pdf").status_code == 422
    assert client.get("/compliance/reports/nope", headers={"Accept": "text/html"}).status_code in (
        404,
        422,
    )
