"""The classification review queue (``/review``) over HTTP on the demo store: filters in the
URL, evidence and masked samples, decisions one at a time and in bulk (with the stale check),
permissions and the audit log.

Labels these tests change (nobody else relies on them): raw_suppliers' contact columns and
raw_loyalty_members.phone_number; the browser tests change the lake source's labels.
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


def _labels(site: Site, **filters: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{site.base}/api/v1/classifications",
        params={"limit": 500, **filters},
        headers=site.server.headers,
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _label_ids(site: Site, qualified_name: str) -> dict[str, int]:
    """label -> classification id of one column (the API does not show ids: read the store)."""
    conn = sqlite3.connect(site.server.home / "sounding.db")
    try:
        rows = conn.execute(
            "SELECT c.label, c.id FROM classifications c JOIN assets a ON a.id = c.asset_id "
            "WHERE a.qualified_name = ?",
            (qualified_name,),
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="label-(\d+)"', html)]


def _status(site: Site, qualified_name: str, label: str) -> str:
    items = _labels(site, label=label)
    return next(str(i["status"]) for i in items if i["qualified_name"] == qualified_name)


def test_the_queue_lists_pending_labels_with_evidence_and_paging(site: Site) -> None:
    client = site.as_user("steward")
    pending = _labels(site, status="suggested")
    first = client.get("/review?status=pending")
    assert first.status_code == 200
    text = unescape(first.text)
    assert f"{len(pending)} pending labels" in text
    shown = _row_ids(first.text)
    assert len(shown) == min(50, len(pending))
    if len(pending) > 50:  # the demo has 59: a second page holds the rest
        second = client.get("/review?status=pending&page=2")
        rest = _row_ids(second.text)
        assert len(rest) == len(pending) - 50 and not set(rest) & set(shown)
        assert 'rel="prev"' in second.text
    # the evidence of a value-matched label, and its samples unmasked for a steward
    ip = client.get("/review?label=Network.IPv4&source=warehouse")
    row = unescape(ip.text)
    assert "builtin:ipv4" in row and "values matched" in row
    assert re.search(r"<code>\d+\.\d+\.\d+\.\d+</code>", ip.text)
    assert 'name="id"' in ip.text and ">Confirm selected</button>" in ip.text


def test_filters_live_in_the_url_and_bad_ones_get_4xx(site: Site) -> None:
    client = site.as_user("viewer")
    # the home page's links: a label within a source
    scoped = client.get("/review?label=PII.Email&source=lake")
    expected = _labels(site, label="PII.Email", source="lake", status="suggested")
    assert scoped.status_code == 200 and len(_row_ids(scoped.text)) == len(expected) > 0
    assert all(f"<strong>{i['column']}</strong>" in scoped.text for i in expected)
    # a family finds its subtypes
    family = client.get("/review?label=PII.NationalId&status=all")  # pending or not
    assert "PII.NationalId.BR_CPF" in family.text
    # confidence, in percent
    low = client.get("/review?max_conf=60&status=all")
    lows = [i for i in _labels(site) if i["confidence"] <= 0.6]
    assert len(_row_ids(low.text)) == len(lows) > 0
    high = unescape(client.get("/review?min_conf=99").text)
    assert "PII.Email" in high and "PII.Country" not in high.split("queue-h")[1]
    for url, status, message in (
        ("/review?status=bogus", 422, "Unknown status 'bogus'"),
        ("/review?source=nowhere", 404, "nowhere"),
        ("/review?min_conf=90&max_conf=10", 422, "lowest confidence is above"),
        ("/review?min_conf=101", 422, ""),
        ("/review?page=0", 422, ""),
    ):
        answer = client.get(url, headers=HTML)
        assert answer.status_code == status, url
        assert message in unescape(answer.text), url


def test_viewers_see_masked_samples_no_controls_and_forged_posts_are_refused(
    site: Site,
) -> None:
    viewer = site.as_user("viewer")
    page = viewer.get("/review?label=Network.IPv4&source=warehouse")
    assert page.status_code == 200
    assert "<code>***</code>" in page.text and "masked: reading values needs pii:read" in page.text
    assert not re.search(r"<code>\d+\.\d+\.\d+\.\d+</code>", page.text)
    assert 'name="id"' not in page.text and "/review/decide" not in page.text
    assert ">Confirm</button>" not in page.text
    ids = _label_ids(site, "main.raw_suppliers.contact_email")
    target = ids["PII.Email"]
    token = site.csrf(viewer)  # a valid token of the viewer's own session
    forged = viewer.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "decision": "confirm",
            "id": str(target),
            "seen": f"{target}:suggested",
        },
    )
    assert forged.status_code == 403
    one = viewer.post(f"/review/items/{target}/reject", data={"csrf_token": token})
    assert one.status_code == 403
    assert _status(site, "main.raw_suppliers.contact_email", "PII.Email") == "suggested"


def test_a_steward_decides_several_labels_at_once_and_stale_ones_are_left(site: Site) -> None:
    client = site.as_user("steward")
    email = _label_ids(site, "main.raw_suppliers.contact_email")["PII.Email"]
    name = _label_ids(site, "main.raw_suppliers.contact_name")["PII.PersonName"]
    phone = _label_ids(site, "main.raw_suppliers.contact_phone")["PII.Phone"]
    token = site.csrf(client, "/review")
    back = "/review?source=warehouse&label=PII"
    seen = [f"{i}:suggested" for i in (email, name, phone)]
    # nothing selected: a clear 4xx, nothing changes
    empty = client.post(
        "/review/decide",
        data={"csrf_token": token, "decision": "confirm", "seen": seen},
        headers=HTML,
    )
    assert empty.status_code == 422 and "Select at least one label" in empty.text
    done = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "decision": "confirm",
            "id": [str(email), str(name)],
            "seen": seen,
            "note": "supplier contacts",
            "back": back,
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{back}&done=confirmed&n=2&stale=0"
    shown = unescape(client.get(done.headers["location"]).text)
    assert "2 labels confirmed." in shown
    assert f'name="back" value="{back}"' in shown  # the next decision returns without the message
    assert _status(site, "main.raw_suppliers.contact_email", "PII.Email") == "confirmed"
    assert _status(site, "main.raw_suppliers.contact_name", "PII.PersonName") == "confirmed"
    assert _status(site, "main.raw_suppliers.contact_phone", "PII.Phone") == "suggested"
    # the same form again (a second tab): the two are no longer pending, the third is decided
    again = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "decision": "reject",
            "id": [str(email), str(name), str(phone)],
            "seen": seen,
            "back": "https://evil.example/",
        },
    )
    assert again.status_code == 303
    assert again.headers["location"] == "/review?done=rejected&n=1&stale=2"
    assert _status(site, "main.raw_suppliers.contact_email", "PII.Email") == "confirmed"
    assert _status(site, "main.raw_suppliers.contact_phone", "PII.Phone") == "rejected"
    confirmed = client.get("/review?status=confirmed&source=warehouse&label=PII.Email")
    assert "confirmed by steward" in confirmed.text and "supplier contacts" in unescape(
        confirmed.text
    )
    conn = sqlite3.connect(site.server.home / "sounding.db")
    try:
        actions = [
            (a, t)
            for a, t in conn.execute(
                "SELECT action, target FROM audit_log WHERE actor = 'steward' "
                "AND target LIKE '%raw_suppliers#contact_%'"
            )
        ]
    finally:
        conn.close()
    # the decisions; the pages showing these columns' sample values unmasked are audited too
    assert sorted(a for a, _ in actions if a != "pii.read") == [
        "classification.confirm",
        "classification.confirm",
        "classification.reject",
    ]
    assert "pii.read" in {a for a, _ in actions}


def test_htmx_decides_one_row_and_redraws_it(site: Site) -> None:
    client = site.as_user("admin")
    target = _label_ids(site, "main.raw_loyalty_members.phone_number")["PII.Phone"]
    headers = {"HX-Request": "true", "X-CSRF-Token": site.csrf(client)}
    answer = client.post(
        f"/review/items/{target}/reject",
        data={"seen": f"{target}:suggested"},
        headers=headers,
    )
    assert answer.status_code == 200
    assert answer.text.strip().startswith(f'<tr id="label-{target}" class="review-row rejected"')
    assert "rejected by admin" in answer.text and "toast" in answer.headers["HX-Trigger"]
    again = client.post(
        f"/review/items/{target}/confirm",
        data={"seen": f"{target}:suggested"},
        headers=headers,
    )
    assert again.status_code == 409 and "rejected by admin meanwhile" in unescape(again.text)
    assert _status(site, "main.raw_loyalty_members.phone_number", "PII.Phone") == "rejected"
    bad = client.post("/review/items/1/approve", headers={**headers, **HTML})
    assert bad.status_code == 422
    junk = client.post(
        "/review/decide", data={"decision": "confirm", "seen": "x:y"}, headers={**headers, **HTML}
    )
    assert junk.status_code == 422 and "Bad row state" in unescape(junk.text)
