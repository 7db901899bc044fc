"""Channels and deliveries through a real ``sounding serve``: webhooks to a local HTTP
receiver (signed, retried, deduplicated, rate-limited), Slack bodies, e-mail to a local SMTP
server (aiosmtpd), the delivery log, bad input, and deliveries surviving a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest

from sounding.config import Settings
from sounding.services import delivery
from sounding.services.context import build_context
from sounding.services.delivery import OutgoingMessage
from sounding.testing.server import ServerProcess
from tests.api.delivery_receivers import (
    HttpReceiver,
    Mailbox,
    http_receiver,
    smtp_receiver,
    wait_for,
)
from tests.live import answer_checker

pytestmark = pytest.mark.slow  # one real server for the module (about 8 s to start)

SECRET = "whsec-for-tests"


class Site:
    def __init__(self, server: ServerProcess, web: HttpReceiver, mail: Mailbox) -> None:
        self.server, self.web, self.mail = server, web, mail
        self.api = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)

    def enqueue(self, messages: Sequence[OutgoingMessage]) -> int:
        """What the alerts feature does: enqueue in a transaction of the same store (here
        from this process, as the CLI would), for the server's worker to send."""
        ctx = build_context(Settings(home=self.server.home))
        try:
            with ctx.db.write() as conn:
                return delivery.enqueue(conn, messages)
        finally:
            ctx.close()

    def channel(self, name: str, **fields: Any) -> dict[str, Any]:
        made = self.api.post("/api/v1/channels", json={"name": name, **fields})
        assert made.status_code == 201, made.text
        return dict(made.json())

    def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        answer = self.api.get("/api/v1/deliveries", params={"limit": 1000, **params})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    def settled(self, delivery_id: int) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            found = self.api.get(f"/api/v1/deliveries/{delivery_id}").json()
            return found if found["status"] != "pending" else None

        return dict(wait_for(done, what=f"delivery {delivery_id} to settle"))


def _message(channel: str, key: str, **kw: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "subject": f"Schema changed ({key})",
        "text": "orders lost the column customer_id",
        "payload": {"event": "schema_changed", "asset": "shop.main.orders"},
        "link": "/assets/urn:sounding:shop:main.orders",
    }
    fields.update(kw)
    return OutgoingMessage(channel, key, **fields)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("delivery") / "home"
    with http_receiver() as web, smtp_receiver() as mail:
        env = {
            "SOUNDING_SMTP_HOST": "127.0.0.1",
            "SOUNDING_SMTP_PORT": str(mail.port),
            "SOUNDING_SMTP_STARTTLS": "false",
            "SOUNDING_SMTP_FROM": "alerts@sounding.test",
            "SOUNDING_PUBLIC_URL": "https://sounding.example.com",
            "SOUNDING_DELIVERY_BACKOFF_SECONDS": "0.2",
            "SOUNDING_DELIVERY_POLL_SECONDS": "0.1",
            "SOUNDING_DELIVERY_MAX_ATTEMPTS": "4",
        }
        server = ServerProcess(home, env=env)
        server.env.pop("SOUNDING_DATABASE_URL", None)
        server.start(timeout=90)
        found = Site(server, web, mail)
        try:
            yield found
        finally:
            found.api.close()
            server.stop()


def test_a_signed_webhook_retried_after_two_failures(site: Site) -> None:
    made = site.channel("hooks", url=f"{site.web.base}/flaky", secret=SECRET)
    assert made["secret"] == "***" and SECRET not in json.dumps(made)
    listed = site.api.get("/api/v1/channels").json()["items"]
    assert [c["secret"] for c in listed if c["name"] == "hooks"] == ["***"]
    site.web.failures["/flaky"] = 2
    assert site.enqueue([_message("hooks", "event-1")]) == 1
    (row,) = wait_for(lambda: site.deliveries(channel="hooks", status="delivered"))
    assert (row["attempts"], row["last_http_status"], row["last_error"]) == (3, 200, None)
    sent = site.web.at("/flaky")
    assert len(sent) == 3
    assert all(r.signature_ok(SECRET) for r in sent)
    assert not sent[0].signature_ok("another secret")
    body = sent[-1].json()
    assert body["payload"] == {"event": "schema_changed", "asset": "shop.main.orders"}
    assert body["subject"] == "Schema changed (event-1)"
    assert body["link"] == "https://sounding.example.com/assets/urn:sounding:shop:main.orders"


def test_the_same_message_twice_is_sent_once(site: Site) -> None:
    site.channel("once", url=f"{site.web.base}/once")
    assert site.enqueue([_message("once", "e1"), _message("once", "e1")]) == 1
    assert site.enqueue([_message("once", "e1")]) == 0
    wait_for(lambda: site.deliveries(channel="once", status="delivered"))
    assert site.enqueue([_message("once", "e1")]) == 0  # delivered: still known
    assert len(site.web.at("/once")) == 1
    assert len(site.deliveries(channel="once")) == 1


def test_over_the_rate_limit_deliveries_wait_and_are_not_dropped(site: Site) -> None:
    site.channel("slow", url=f"{site.web.base}/slow", rate_per_minute=2)
    assert site.enqueue([_message("slow", f"e{i}") for i in range(5)]) == 5

    def deferred() -> list[dict[str, Any]] | None:
        rows = site.deliveries(channel="slow", status="pending")
        waiting = [r for r in rows if r["attempts"] == 0 and r["next_attempt_at"]]
        return rows if len(site.web.at("/slow")) == 2 and len(waiting) == 3 else None

    pending = wait_for(deferred, what="2 sent and 3 deferred")
    assert all(r["last_error"] is None for r in pending)
    assert len(site.deliveries(channel="slow", status="delivered")) == 2
    assert len(site.web.at("/slow")) == 2  # the third waits ~30 s for a token


def test_a_receiver_failing_every_time_fails_after_max_attempts(site: Site) -> None:
    site.channel("down", url=f"{site.web.base}/down")
    site.web.failures["/down"] = 100
    answer = site.api.post("/api/v1/channels/down/test")
    assert answer.status_code == 202, answer.text
    failed = site.settled(answer.json()["id"])
    assert (failed["status"], failed["attempts"], failed["last_http_status"]) == (
        "failed",
        4,
        503,
    )
    assert "HTTP 503" in failed["last_error"] and "try later" in failed["last_error"]
    assert len(site.web.at("/down")) == 4


def test_a_slack_channel_gets_a_slack_body(site: Site) -> None:
    site.channel("team", kind="slack", url=f"{site.web.base}/slack")
    answer = site.api.post("/api/v1/channels/team/test")
    assert answer.status_code == 202, answer.text
    assert site.settled(answer.json()["id"])["status"] == "delivered"
    (sent,) = site.web.at("/slack")
    body = sent.json()
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("Sounding test message to 'team'")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert "https://sounding.example.com/admin/deliveries" in json.dumps(body["blocks"])
    assert "x-sounding-signature" not in sent.headers  # no secret, no signature


def test_a_webhook_url_is_stored_encrypted_and_shown_with_its_path_hidden(site: Site) -> None:
    """A Slack URL is its own credential: never shown back, never in the store in clear;
    giving back the shown form (or no URL) keeps it."""
    token = "T0AAA/B0BBB/s3cr3tTok3n"
    shown = f"{site.web.base}/services/***"
    made = site.channel("hidden", kind="slack", url=f"{site.web.base}/services/{token}")
    assert made["url"] == shown
    listed = site.api.get("/api/v1/channels").text + site.api.get("/api/v1/channels/hidden").text
    assert "s3cr3tTok3n" not in listed and shown in listed
    for change in ({"rate_per_minute": 30}, {"url": shown}):
        patched = site.api.patch("/api/v1/channels/hidden", json=change)
        assert patched.status_code == 200, patched.text
        assert patched.json()["url"] == shown
    answer = site.api.post("/api/v1/channels/hidden/test")
    assert answer.status_code == 202, answer.text
    assert site.settled(answer.json()["id"])["status"] == "delivered"
    assert len(site.web.at(f"/services/{token}")) == 1  # sent to the real URL
    for store_file in site.server.home.glob("sounding.db*"):  # the store and its WAL
        assert b"s3cr3tTok3n" not in store_file.read_bytes(), store_file


def test_e_mail_to_an_address_and_to_an_email_channel(site: Site) -> None:
    site.enqueue([_message("email:dpo@example.com", "mail-1")])
    site.channel("stewards", kind="email", addresses=["a@example.com", "b@example.com"])
    answer = site.api.post("/api/v1/channels/stewards/test")
    assert answer.status_code == 202, answer.text
    assert site.settled(answer.json()["id"])["status"] == "delivered"
    wait_for(lambda: len(site.mail.messages) >= 2, what="two e-mails")
    by_to = {m["To"]: m for m in site.mail.messages}
    direct = by_to["dpo@example.com"]
    assert direct["Subject"] == "Schema changed (mail-1)"
    assert direct["From"] == "alerts@sounding.test"
    text = direct.get_payload(decode=True).decode()
    assert "orders lost the column customer_id" in text
    assert "https://sounding.example.com/assets/urn:sounding:shop:main.orders" in text
    assert by_to["a@example.com, b@example.com"]["Subject"].startswith("Sounding test message")
    assert ("alerts@sounding.test", ["a@example.com", "b@example.com"]) in site.mail.envelopes


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "x", "url": "ftp://example.com/hook"}, "http:// or https://"),
        ({"name": "x", "url": "not a url"}, "http:// or https://"),
        ({"name": "x", "kind": "webhook"}, "needs a URL"),
        ({"name": "x", "kind": "email", "addresses": ["nobody"]}, "Invalid e-mail address"),
        ({"name": "x", "kind": "email", "addresses": []}, "1 to 50 addresses"),
        ({"name": "x", "kind": "pager", "url": "http://h/"}, "kind"),
        ({"name": "x", "url": "http://h/", "rate_per_minute": 0}, "rate_per_minute"),
        ({"name": "x", "url": "http://h/", "rate_per_minute": 10_000}, "rate_per_minute"),
        ({"name": "bad name!", "url": "http://h/"}, "Invalid channel name"),
        ({"name": "x", "url": "http://h/", "secret": "s" * 501}, "secret"),
    ],
)
def test_bad_channel_input_is_a_422_saying_what_to_fix(
    site: Site, body: dict[str, Any], fragment: str
) -> None:
    answer = site.api.post("/api/v1/channels", json=body)
    assert answer.status_code == 422, answer.text
    assert fragment in answer.text


def test_channel_edits_conflicts_and_unknown_names(site: Site) -> None:
    check = answer_checker(site.api.get("/openapi.json").json())
    made = site.api.post(
        "/api/v1/channels", json={"name": "edit-me", "url": "http://127.0.0.1:9/", "secret": "1"}
    )
    assert check(made, "post", "/api/v1/channels")["secret"] == "***"
    check(site.api.get("/api/v1/channels/edit-me"), "get", "/api/v1/channels/{name}")
    check(site.api.get("/api/v1/deliveries"), "get", "/api/v1/deliveries")
    again = site.api.post("/api/v1/channels", json={"name": "edit-me", "url": "http://h/"})
    assert again.status_code == 409
    patched = site.api.patch(
        "/api/v1/channels/edit-me", json={"rate_per_minute": 5, "secret": None}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["rate_per_minute"], patched.json()["secret"]) == (5, None)
    bad = site.api.patch("/api/v1/channels/edit-me", json={"url": "file:///etc/passwd"})
    assert bad.status_code == 422 and "http:// or https://" in bad.text
    to_mail = site.api.patch(
        "/api/v1/channels/edit-me", json={"kind": "email", "addresses": ["x@example.com"]}
    )
    assert to_mail.status_code == 200, to_mail.text
    assert (to_mail.json()["url"], to_mail.json()["addresses"]) == (None, ["x@example.com"])
    assert site.api.delete("/api/v1/channels/edit-me").status_code == 204
    assert site.api.delete("/api/v1/channels/edit-me").status_code == 404
    assert site.api.post("/api/v1/channels/edit-me/test").status_code == 404
    assert site.api.get("/api/v1/deliveries", params={"status": "lost"}).status_code == 422
    assert site.api.get("/api/v1/deliveries/999999").status_code == 404
    assert site.api.get(f"/api/v1/deliveries/{2**70}").status_code == 422  # bounded id
    assert site.api.get(f"/api/v1/channels/{'n' * 101}").status_code == 422


def test_deliveries_are_for_admins_only(site: Site) -> None:
    made = site.api.post("/api/v1/users", json={"name": "viewer1", "role": "viewer"})
    assert made.status_code == 201, made.text
    token = site.api.post("/api/v1/users/viewer1/tokens", json={}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=site.server.base, headers=headers, timeout=60) as viewer:
        assert viewer.get("/api/v1/channels").status_code == 403
        assert viewer.get("/api/v1/deliveries").status_code == 403
        assert (
            viewer.post("/api/v1/channels", json={"name": "v", "url": "http://h/"}).status_code
            == 403
        )


def test_pending_deliveries_go_out_after_a_restart(site: Site) -> None:
    site.channel("after", url=f"{site.web.base}/after", secret=SECRET)
    site.server.stop()
    try:
        assert site.enqueue([_message("after", "r1"), _message("after", "r2")]) == 2
        assert site.web.at("/after") == []
    finally:
        site.server.start(timeout=90)
    wait_for(lambda: len(site.web.at("/after")) == 2, what="both after the restart")
    assert all(r.signature_ok(SECRET) for r in site.web.at("/after"))
    assert len(site.deliveries(channel="after", status="delivered")) == 2
