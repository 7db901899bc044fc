"""Subscriptions and the inbox through a real ``sounding serve``: a quality rule that starts
failing tells its table's subscriber once and its owner by default, nobody else, and its
recovery tells them again; a failed scan tells the subscribers of its source and workflow;
reading and marking the inbox; bad input as 4xx; answers keep to the declared schemas."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.delivery_receivers import HttpReceiver, Mailbox, http_receiver, smtp_receiver
from tests.factories import execute
from tests.live import check_answer, scanned_server

pytestmark = pytest.mark.slow

U = "urn:sounding:shop:main."
CUSTOMERS = U + "customers"


SECRET = "alerts-hook-secret"


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[HttpReceiver, Mailbox]]:
    """A webhook receiver and an SMTP server the test runs, for the external channels."""
    with http_receiver() as web, smtp_receiver() as mail:
        yield web, mail


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, receivers: tuple[HttpReceiver, Mailbox]
) -> Iterator[tuple[dict[str, httpx.Client], Path]]:
    home = tmp_path_factory.mktemp("alerts")
    users = {
        "ann": ("ann", "viewer"),  # subscribes to the table
        "olive": ("olive", "viewer"),  # owns it: subscribed by default
        "nick": ("nick", "viewer"),  # subscribes to nothing
        "wes": ("wes", "viewer"),  # subscribes to a source and its scan workflow
    }
    env = {
        "SOUNDING_SMTP_HOST": "127.0.0.1",
        "SOUNDING_SMTP_PORT": str(receivers[1].port),
        "SOUNDING_SMTP_STARTTLS": "false",
        "SOUNDING_DELIVERY_POLL_SECONDS": "0.2",
    }
    with scanned_server(home, users, env) as clients:
        yield clients, home / "shop.db"


def _inbox(client: httpx.Client, kind: str | None = None) -> list[dict[str, Any]]:
    page = client.get("/api/v1/inbox", params={"limit": 200})
    assert page.status_code == 200, page.text
    return [n for n in page.json()["items"] if kind is None or n["kind"] == kind]


def _wait_for(client: httpx.Client, kind: str, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60  # the dispatcher polls every second; a loaded machine
    while True:
        found = _inbox(client, kind)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _run_quality(admin: httpx.Client) -> dict[str, Any]:
    run = admin.post("/api/v1/quality/runs", json={"source": "shop"})
    assert run.status_code == 201, run.text
    return run.json()


def test_quality_failure_and_recovery_reach_subscriber_and_owner_only(
    site: tuple[dict[str, httpx.Client], Path],
) -> None:
    http, db = site
    admin, ann, olive, nick = http["admin"], http["ann"], http["olive"], http["nick"]
    doc = admin.get("/openapi.json").json()
    owned = admin.patch(f"/api/v1/assets/{CUSTOMERS}", json={"owner": "olive"})
    assert owned.status_code == 200, owned.text
    sub = check_answer(
        doc,
        ann.post("/api/v1/subscriptions", json={"target_kind": "asset", "target": CUSTOMERS}),
        "POST",
        "/api/v1/subscriptions",
    )
    assert (sub["user"], sub["target_ref"], sub["events"]) == ("ann", CUSTOMERS, [])
    rule = {"asset": CUSTOMERS, "kind": "not_null", "column": "name", "name": "name_set"}
    assert admin.post("/api/v1/quality/rules", json=rule).status_code == 201
    assert _run_quality(admin)["rules_failed"] == 0  # a first pass says nothing

    execute(db, "INSERT INTO customers VALUES (3, 'c@example.com', NULL);")
    assert _run_quality(admin)["rules_failed"] == 1
    failed = _wait_for(ann, "quality_failed")
    assert len(failed) == 1, failed
    assert "name_set" in failed[0]["title"] and failed[0]["urn"] == CUSTOMERS
    assert failed[0]["reason"] == f"asset {CUSTOMERS}" and failed[0]["read"] is False
    by_default = _wait_for(olive, "quality_failed")
    assert [n["reason"] for n in by_default] == ["owner"]
    assert _run_quality(admin)["rules_failed"] == 1  # failing again is not news

    execute(db, "UPDATE customers SET name = 'Cy' WHERE id = 3;")
    assert _run_quality(admin)["rules_failed"] == 0
    assert len(_wait_for(ann, "quality_recovered")) == 1
    assert len(_wait_for(olive, "quality_recovered")) == 1
    assert len(_inbox(ann, "quality_failed")) == 1  # the repeated failure told nobody
    assert _inbox(nick) == []

    page = check_answer(doc, ann.get("/api/v1/inbox"), "GET", "/api/v1/inbox")
    unread = ann.get("/api/v1/inbox/unread-count").json()["unread"]
    assert unread == page["unread"] >= 2
    one = ann.post(f"/api/v1/inbox/{failed[0]['id']}/read")
    assert one.status_code == 200 and one.json()["read"] is True
    assert ann.get("/api/v1/inbox/unread-count").json()["unread"] == unread - 1
    assert [n["id"] for n in ann.get("/api/v1/inbox?unread=true&limit=200").json()["items"]] == [
        n["id"] for n in _inbox(ann) if n["id"] != failed[0]["id"]
    ]
    # another user's notification is not theirs to mark
    assert nick.post(f"/api/v1/inbox/{failed[0]['id']}/read").status_code == 404
    assert ann.post("/api/v1/inbox/read-all").json() == {"marked": unread - 1}
    assert ann.get("/api/v1/inbox/unread-count").json() == {"unread": 0}

    # a muted default: the owner hears nothing more of the table
    muted = olive.post(
        "/api/v1/subscriptions", json={"target_kind": "asset", "target": CUSTOMERS, "muted": True}
    )
    assert muted.status_code == 201 and muted.json()["muted"] is True
    execute(db, "INSERT INTO customers VALUES (4, 'd@example.com', NULL);")
    assert _run_quality(admin)["rules_failed"] == 1
    assert len(_wait_for(ann, "quality_failed", 2)) == 2
    assert len(_inbox(olive, "quality_failed")) == 1


def test_failed_scan_tells_source_and_workflow_subscribers(
    site: tuple[dict[str, httpx.Client], Path],
) -> None:
    http, _ = site
    admin, wes, nick = http["admin"], http["wes"], http["nick"]
    down = {"name": "down", "url": "postgresql://u:pw@127.0.0.1:1/x"}
    assert admin.post("/api/v1/sources", json=down).status_code == 201
    source = {
        "target_kind": "source",
        "target": "down",
        "events": ["source_unreachable"],
        "channels": ["email:wes@example.com"],  # handed to delivery, once per event
    }
    assert wes.post("/api/v1/subscriptions", json=source).status_code == 201
    executions = []
    for attempt in range(2):
        if attempt == 1:  # the scan's workflow is stored by its first scan
            flow = {
                "target_kind": "workflow",
                "target": "scan:down",
                "events": ["execution_failed"],
            }
            made = wes.post("/api/v1/subscriptions", json=flow)
            assert made.status_code == 201, made.text
        scan = admin.post("/api/v1/scans", json={"source": "down"}).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            scan = admin.get(f"/api/v1/scans/{scan['id']}").json()
        assert scan["status"] == "failed", scan
        executions.append(f"/executions/{scan['execution_id']}")
    unreachable = _wait_for(wes, "source_unreachable", 2)
    assert len(unreachable) == 2 and {n["link"] for n in unreachable} == {"/sources/down"}
    assert "Failed to connect" in unreachable[0]["title"] and "pw" not in unreachable[0]["title"]
    log = admin.get("/api/v1/deliveries", params={"channel": "email:wes@example.com"})
    assert log.status_code == 200, log.text
    assert sorted(d["dedup_key"] for d in log.json()["items"]) == sorted(
        f"event:{n['event_id']}:user:wes" for n in unreachable
    )
    deadline = time.monotonic() + 60
    while executions[1] not in [n["link"] for n in _inbox(wes, "execution_failed")]:
        assert time.monotonic() < deadline, _inbox(wes)
        time.sleep(0.2)
    failed = _inbox(wes, "execution_failed")
    # the first scan's failure may be dispatched after the subscription: told once if so
    assert sorted({n["link"] for n in failed}) == sorted(n["link"] for n in failed)
    assert {n["link"] for n in failed} <= set(executions)
    assert {n["reason"] for n in failed} == {"workflow scan:down"}
    assert _inbox(nick) == []
    mine = wes.get("/api/v1/subscriptions").json()
    assert [s["target_kind"] for s in mine["items"]] == ["source", "workflow"]
    assert wes.delete(f"/api/v1/subscriptions/{mine['items'][0]['id']}").status_code == 204
    assert wes.get("/api/v1/subscriptions").json()["total"] == 1


def test_an_alert_reaches_a_signed_webhook_and_an_e_mail_once(
    site: tuple[dict[str, httpx.Client], Path], receivers: tuple[HttpReceiver, Mailbox]
) -> None:
    """From the event to the outside: a subscriber's webhook channel gets the event signed,
    their e-mail gets it through SMTP, each once, and the delivery log says delivered."""
    (http, _), (web, mail) = site, receivers
    admin, ann = http["admin"], http["ann"]
    hook = {"name": "alerts-hook", "kind": "webhook", "url": f"{web.base}/alerts"}
    made = admin.post("/api/v1/channels", json={**hook, "secret": SECRET})
    assert made.status_code == 201, made.text
    gone = {"name": "gone", "url": "postgresql://u@127.0.0.1:1/gone"}  # nothing listens
    assert admin.post("/api/v1/sources", json=gone).status_code == 201
    sub = {
        "target_kind": "source",
        "target": "gone",
        "channels": ["alerts-hook", "email:ann@example.com"],
    }
    assert ann.post("/api/v1/subscriptions", json=sub).status_code == 201, sub
    scan = admin.post("/api/v1/scans", json={"source": "gone"}).json()
    told = _wait_for(ann, "source_unreachable")
    assert len(told) == 1, (scan, told)
    event_id = told[0]["event_id"]

    deadline = time.monotonic() + 60

    def to_ann() -> list[Any]:  # the other tests' alerts go out by e-mail too
        return [m for m in mail.messages if m["To"] == "ann@example.com"]

    while not (web.at("/alerts") and to_ann()) and time.monotonic() < deadline:
        time.sleep(0.2)
    (posted,) = web.at("/alerts")
    assert posted.signature_ok(SECRET)
    body = posted.json()
    assert (body["payload"]["event_id"], body["payload"]["kind"]) == (
        event_id,
        "source_unreachable",
    )
    assert body["payload"]["source"] == "gone" and body["payload"]["user"] == "ann"
    (letter,) = to_ann()
    assert "gone" in letter["Subject"], letter["Subject"]
    log = admin.get("/api/v1/deliveries", params={"limit": 100}).json()["items"]
    mine = [d for d in log if d["dedup_key"] == f"event:{event_id}:user:ann"]
    assert sorted(d["channel"] for d in mine) == ["alerts-hook", "email:ann@example.com"]
    assert {d["status"] for d in mine} == {"delivered"}


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"target_kind": "asset", "target": U + "nosuch"}, 404, "nosuch"),
        ({"target_kind": "source", "target": "nosuch"}, 404, "Source 'nosuch' not found"),
        ({"target_kind": "workflow", "target": "nosuch"}, 404, "Workflow 'nosuch' not found"),
        ({"target_kind": "table", "target": "x"}, 422, "target_kind"),
        ({"target_kind": "asset", "target": CUSTOMERS, "events": ["boom"]}, 422, "events"),
        ({"target_kind": "asset", "target": CUSTOMERS, "channels": ["pager"]}, 422, "pager"),
        ({"target_kind": "asset", "target": CUSTOMERS, "channels": ["email:x"]}, 422, "email:"),
        ({"target_kind": "saved_search", "target": "x" * 600}, 422, "500"),
    ],
)
def test_bad_subscriptions_are_4xx_saying_what(
    site: tuple[dict[str, httpx.Client], Path], body: dict[str, Any], status: int, text: str
) -> None:
    answer = site[0]["nick"].post("/api/v1/subscriptions", json=body)
    assert answer.status_code == status, answer.text
    assert text in answer.text


def test_others_subscriptions_and_paging_bounds(
    site: tuple[dict[str, httpx.Client], Path],
) -> None:
    http, _ = site
    admin, nick = http["admin"], http["nick"]
    made = admin.post("/api/v1/subscriptions", json={"target_kind": "source", "target": "shop"})
    assert made.status_code == 201
    sid = made.json()["id"]
    assert nick.get(f"/api/v1/subscriptions/{sid}").status_code == 404
    assert nick.delete(f"/api/v1/subscriptions/{sid}").status_code == 404
    assert nick.get("/api/v1/subscriptions?all=true").status_code == 403
    everyone = admin.get("/api/v1/subscriptions?all=true&limit=1000").json()
    assert sid in [s["id"] for s in everyone["items"]]
    assert nick.get("/api/v1/inbox?limit=5000").status_code == 422
    assert nick.post("/api/v1/inbox/0/read").status_code == 422
