"""Compliance over HTTP: evaluate, findings lifecycle, reports in three formats, uploads."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.services import scans
from tests.api.conftest import Api

C = "/api/v1/compliance"


@pytest.fixture
def scanned(api: Api) -> Api:
    ctx: Any = api.app.state.ctx
    scans.run_scan(ctx, Principal("t", Role.ADMIN), "shop", options=ScanOptions(classify=True))
    return api


def test_evaluate_then_walk_a_finding_through_its_lifecycle(scanned: Api) -> None:
    api = scanned
    done = api.call("POST", f"{C}/evaluations", role="steward", json={"source": "shop"})
    assert done.status_code == 200, done.text
    assert done.json()["opened"] >= 1 and done.json()["frameworks"] == [
        "ccpa", "gdpr", "hipaa", "pci_dss"
    ]  # fmt: skip
    listed = api.call("GET", f"{C}/findings?framework=gdpr&status=open", role="viewer").json()
    owners = {i["urn"]: i for i in listed["items"] if i["requirement_id"] == "GDPR-Art5"}
    assert set(owners) == {"urn:sounding:shop:main.customers", "urn:sounding:shop:main.big_orders"}
    owner = owners["urn:sounding:shop:main.customers"]
    assert owner["severity"] == "high"
    assert owner["requirement"] == "Personal data has an accountable owner"
    path = f"{C}/findings/{owner['id']}"
    assert api.call("GET", path, role="viewer").json()["evidence"]["failed"] == ["has_owner"]

    reason = {"justification": "Test data only, dropped next sprint"}
    assert api.call("POST", path + "/accept", role="viewer", json=reason).status_code == 403
    short = api.call("POST", path + "/accept", role="steward", json={"justification": "ok"})
    assert short.status_code == 422 and "justification" in short.json()["error"]["message"]
    accepted = api.call("POST", path + "/accept", role="steward", json=reason).json()
    assert accepted["status"] == "accepted" and accepted["decided_by"] == "steward1"
    twice = api.call("POST", path + "/accept", role="steward", json=reason)
    assert twice.status_code == 409
    assert api.call("POST", path + "/reopen", role="steward").json()["status"] == "open"
    assert api.call("POST", path + "/resolve", role="steward").json()["status"] == "resolved"
    again = api.call("POST", f"{C}/evaluations", role="steward", json={"frameworks": ["gdpr"]})
    assert again.json()["reopened"] == 1
    assert api.call("GET", path, role="viewer").json()["status"] == "open"
    steps = api.call("GET", path + "/history", role="viewer").json()
    assert steps["total"] == 5 and steps["finding_id"] == owner["id"]
    assert [(e["event"], e["origin"], e["actor"], e["note"]) for e in steps["items"]] == [
        ("opened", "evaluation", "steward1", None),
        ("accepted", "manual", "steward1", reason["justification"]),
        ("reopened", "manual", "steward1", None),
        ("resolved", "manual", "steward1", None),
        ("reopened", "evaluation", "steward1", None),
    ]
    assert api.call("GET", f"{C}/findings/424242/history", role="viewer").status_code == 404
    history = api.call("GET", f"{C}/evaluations", role="viewer").json()
    assert history["total"] == 2 and history["items"][0]["frameworks"] == ["gdpr"]
    bad = api.call("GET", f"{C}/findings?severity=urgent", role="viewer")
    assert bad.status_code == 422 and "severity" in bad.json()["error"]["message"]
    assert api.call("GET", f"{C}/findings/424242", role="viewer").status_code == 404
    unknown = api.call("POST", f"{C}/evaluations", role="steward", json={"frameworks": ["sox"]})
    assert unknown.status_code == 404 and "sox" in unknown.json()["error"]["message"]


def test_acknowledge_a_finding_through_the_api(scanned: Api) -> None:
    api = scanned
    api.call("POST", f"{C}/evaluations", role="steward", json={"source": "shop"})
    listed = api.call("GET", f"{C}/findings?framework=gdpr&status=open", role="viewer").json()
    path = f"{C}/findings/{listed['items'][0]['id']}"
    assert api.call("POST", path + "/acknowledge", role="viewer").status_code == 403
    stale = api.call("POST", path + "/acknowledge", role="steward", headers={"If-Match": '"1.999"'})
    assert stale.status_code == 412
    seen = api.call("POST", path + "/acknowledge", role="steward", json={"note": "on it"})
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["status"] == "open" and body["acknowledged_by"] == "steward1"
    assert seen.headers["ETag"] == f'"{body["id"]}.{body["revision"]}"'
    assert api.call("POST", path + "/acknowledge", role="steward").status_code == 409
    steps = api.call("GET", path + "/history", role="viewer").json()["items"]
    assert (steps[-1]["event"], steps[-1]["to_status"], steps[-1]["note"]) == (
        "acknowledged",
        "open",
        "on it",
    )
    acked = api.call("GET", f"{C}/findings?framework=gdpr&status=open", role="viewer").json()
    assert any(i["acknowledged_by"] == "steward1" for i in acked["items"])


def test_report_in_json_csv_and_html(scanned: Api) -> None:
    api = scanned
    api.call("POST", f"{C}/evaluations", role="steward", json={})
    as_json = api.call("GET", f"{C}/reports/gdpr", role="viewer").json()
    assert list(as_json) == [  # the typed report keeps the JSON's keys and their order
        "framework",
        "generated_at",
        "source",
        "last_evaluation",
        "assets_in_scope",
        "compliant_assets",
        "coverage",
        "open_by_severity",
        "status_counts",
        "requirements",
        "findings",
    ]
    assert isinstance(as_json["findings"], list) and "requirements" not in as_json["framework"]
    assert as_json["assets_in_scope"] >= 1 and as_json["open_by_severity"]["high"] >= 1
    assert 0 <= as_json["coverage"] < 1
    as_csv = api.call("GET", f"{C}/reports/gdpr?format=csv", role="viewer")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["requirement_id"] for r in rows} >= {"GDPR-Art5"}
    assert all(r["framework"] == "gdpr" and r["status"] == "open" for r in rows)
    html = api.call("GET", f"{C}/reports/gdpr?format=html", role="viewer")
    assert html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text and "GDPR-Art5" in html.text
    assert not any(ref in html.text for ref in ("src=", "<link", "<script", "href="))
    assert api.call("GET", f"{C}/reports/gdpr?format=pdf", role="viewer").status_code == 422
    assert api.call("GET", f"{C}/reports/sox", role="viewer").status_code == 404


MINE = """
id: retention-policy
name: Retention policy
requirements:
  - id: RET-1
    title: Personal data says how long it is kept
    severity: medium
    applies_to: {labels: [PII.Email]}
    controls: [{has_property: retention}]
"""


def test_upload_frameworks_as_yaml_or_json_with_field_errors(scanned: Api) -> None:
    api = scanned
    yaml_headers = {"Content-Type": "application/yaml"}
    made = api.call("POST", f"{C}/frameworks", role="steward", content=MINE, headers=yaml_headers)
    assert made.status_code == 201, made.text
    assert made.json()["origin"] == "uploaded"
    ids = {f["id"] for f in api.call("GET", f"{C}/frameworks", role="viewer").json()["items"]}
    assert ids == {"gdpr", "ccpa", "hipaa", "pci_dss", "retention-policy"}
    body: dict[str, Any] = {
        "id": "x",
        "name": "X",
        "requirements": [
            {"id": "R", "title": "t", "severity": "urgent", "applies_to": {"labels": ["PII"]},
             "controls": ["has_owner"]},
        ],
    }  # fmt: skip
    bad = api.call("POST", f"{C}/frameworks", role="steward", json=body)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["loc"] == "requirements[0].severity"
    broken = api.call(
        "POST", f"{C}/frameworks", role="steward", content="id: [", headers=yaml_headers
    )
    assert broken.status_code == 422 and "line" in broken.json()["error"]["message"]
    done = api.call(
        "POST", f"{C}/evaluations", role="steward", json={"frameworks": ["retention-policy"]}
    )
    assert done.json()["opened"] == 2  # the customers table and the big_orders view
    gone = api.call("DELETE", f"{C}/frameworks/retention-policy", role="steward")
    assert gone.status_code == 204
    assert api.call("GET", f"{C}/frameworks/retention-policy", role="viewer").status_code == 404
