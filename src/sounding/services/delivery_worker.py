"""The delivery worker: sends the pending rows of the ``deliveries`` outbox.

A server starts it (``Context.start``) and stops it (``Context.stop``). Every
``delivery_poll_seconds`` (or at once when woken) it reads a bounded batch of due rows and,
for each, claims it (moving its ``next_attempt_at`` past the attempt's timeout, so another
server on the same store, or this one after a crash, does not send it meanwhile), takes a
token from the channel's rate-limit bucket (none left: the row is deferred until one is, never
dropped) and sends it: a webhook or Slack POST (signed when the channel has a secret) or an
e-mail over SMTP, each within ``delivery_timeout_seconds``. Success marks it delivered; a
failure records the error and HTTP status and schedules the next attempt with exponential
back-off and jitter, until ``delivery_max_attempts``, when it is marked failed. All state is
in the table, so a restarted server carries on.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from sounding.domain import delivery as rules
from sounding.domain.delivery import ChannelKind, DeliveryWork, Outcome, TokenBucket
from sounding.errors import InvalidInputError
from sounding.services.context import Context, RuntimePart
from sounding.services.delivery import EMAIL_PREFIX
from sounding.services.delivery_channels import check_address
from sounding.store.repos import delivery as repo

logger = logging.getLogger(__name__)

BATCH = 50
MAX_BUCKETS = 10_000  # rate-limit buckets kept in memory (channels and e-mail addresses)
MAX_ERROR = 1000


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery goes, resolved from its channel."""

    kind: ChannelKind
    url: str | None
    addresses: tuple[str, ...]
    secret: str | None
    rate: int
    problem: str | None = None  # set: the delivery fails for good with this error


def _targets(ctx: Context) -> dict[str, Target]:
    with ctx.db.read() as conn:
        rows = repo.channel_rows(conn)
    out: dict[str, Target] = {}
    for row in rows:
        r = row._mapping
        secret, url = r["secret_encrypted"], r["url_encrypted"]
        out[r["name"]] = Target(
            kind=ChannelKind(r["kind"]),
            url=None if url is None else ctx.secrets.decrypt(url),
            addresses=tuple(r["addresses"] or ()),
            secret=None if secret is None else ctx.secrets.decrypt(secret),
            rate=r["rate_per_minute"],
            problem=None if r["enabled"] else f"Channel '{r['name']}' is disabled",
        )
    return out


def _resolve(targets: Mapping[str, Target], channel: str) -> Target:
    if channel.startswith(EMAIL_PREFIX):
        address = channel[len(EMAIL_PREFIX) :].strip()
        try:
            address, problem = check_address(address), None
        except InvalidInputError:
            problem = f"Not an e-mail address: {address!r}"
        return Target(ChannelKind.EMAIL, None, (address,), None, rules.DIRECT_EMAIL_RATE, problem)
    found = targets.get(channel)
    if found is None:
        return Target(ChannelKind.WEBHOOK, None, (), None, 1, f"No channel named '{channel}'")
    return found


def _work(row: Any) -> DeliveryWork:
    r = row._mapping
    return DeliveryWork(
        id=r["id"],
        channel=r["channel"],
        dedup_key=r["dedup_key"],
        subject=r["subject"],
        body=r["body"],
        payload=r["payload"] or {},
        link=r["link"],
        attempts=r["attempts"],
        created_at=r["created_at"],
    )


def post_webhook(ctx: Context, client: httpx.Client, target: Target, work: DeliveryWork) -> Outcome:
    """POST the generic JSON or the Slack body, signed when the channel has a secret."""
    assert target.url is not None
    base = ctx.settings.public_url
    doc = rules.slack_body(work, base) if target.kind is ChannelKind.SLACK else None
    body = rules.encode(doc if doc is not None else rules.webhook_body(work, base))
    headers = {"Content-Type": "application/json", "User-Agent": "Sounding-Delivery/1"}
    if target.secret:
        stamp = int(time.time())
        headers[rules.TIMESTAMP_HEADER] = str(stamp)
        headers[rules.SIGNATURE_HEADER] = rules.sign(target.secret, stamp, body)
    headers["X-Sounding-Delivery"] = str(work.id)
    try:
        with client.stream("POST", target.url, content=body, headers=headers) as answer:
            status = answer.status_code
            # read (a bounded part of) the answer: a connection is reused only once it is read
            text = _head(answer.iter_bytes(), 65536)[:300]
    except httpx.HTTPError as exc:
        return Outcome(False, f"Failed to reach the webhook: {type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return Outcome(True, http_status=status)
    said = text.decode("utf-8", "replace").strip()
    return Outcome(False, f"HTTP {status}: {said}", http_status=status)


def _head(chunks: Iterator[bytes], limit: int = 300) -> bytes:
    """The first ``limit`` bytes of an answer's body (a receiver's error page may be huge)."""
    out = b""
    for chunk in chunks:
        out += chunk
        if len(out) >= limit:
            break
    return out[:limit]


def send_email(ctx: Context, target: Target, work: DeliveryWork) -> Outcome:
    """Send the message as plain-text e-mail to the target's addresses over SMTP."""
    s = ctx.settings
    if not s.smtp_host:
        return Outcome(False, "SMTP is not configured: set SOUNDING_SMTP_HOST")
    message = EmailMessage()
    message["Subject"] = work.subject.replace("\n", " ")[:998]
    message["From"] = s.smtp_from
    message["To"] = ", ".join(target.addresses)
    message["X-Sounding-Delivery"] = str(work.id)
    link = rules.absolute_link(work.link, s.public_url)
    message.set_content(work.body + (f"\n\n{link}\n" if link else "\n"))
    try:
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.delivery_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, f"Failed to send e-mail via {s.smtp_host}: {exc}")
    return Outcome(True)


def http_client(ctx: Context) -> httpx.Client:
    """One client per worker: its connections (and TLS set-up) are reused across sends."""
    return httpx.Client(
        timeout=ctx.settings.delivery_timeout_seconds,
        follow_redirects=False,
        limits=httpx.Limits(max_keepalive_connections=10, keepalive_expiry=30),
    )


def send(ctx: Context, client: httpx.Client, target: Target, work: DeliveryWork) -> Outcome:
    if target.problem is not None:
        return Outcome(False, target.problem, permanent=True)
    if target.kind is ChannelKind.EMAIL:
        return send_email(ctx, target, work)
    return post_webhook(ctx, client, target, work)


def record(ctx: Context, work: DeliveryWork, outcome: Outcome) -> None:
    """Store what an attempt came to: delivered, failed for good, or the next attempt."""
    s = ctx.settings
    now = datetime.now(UTC)
    attempts = work.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "updated_at": now,
        "last_http_status": outcome.http_status,
    }
    if outcome.ok:
        values.update(status="delivered", delivered_at=now, last_error=None)
        logger.info("Delivered %s to %s", work.id, work.channel)
    else:
        values["last_error"] = (outcome.error or "failed")[:MAX_ERROR]
        if outcome.permanent or attempts >= s.delivery_max_attempts:
            values["status"] = "failed"
            logger.warning(
                "Delivery %s to %s failed for good after %d attempt(s): %s",
                work.id, work.channel, attempts, outcome.error,
            )  # fmt: skip
        else:
            wait = rules.backoff_seconds(
                attempts, s.delivery_backoff_seconds, s.delivery_backoff_max_seconds
            )
            values["next_attempt_at"] = now + timedelta(seconds=wait)
            logger.info(
                "Delivery %s to %s failed (attempt %d), retrying in %.1f s: %s",
                work.id, work.channel, attempts, wait, outcome.error,
            )  # fmt: skip
    with ctx.db.write() as conn:
        repo.update_delivery(conn, work.id, values)


class DeliveryWorker(RuntimePart):
    """The thread that sends due deliveries; one per server (``ctx.part(DeliveryWorker)``)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._buckets: dict[str, TokenBucket] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sounding-delivery", daemon=True
                )
                self._thread.start()

    def wake(self) -> None:
        """Look for due deliveries now (a message was just enqueued)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self._ctx.settings.delivery_timeout_seconds + 10)
        if self._http is not None and (thread is None or not thread.is_alive()):
            self._http.close()
            self._http = None

    def _run(self) -> None:
        poll = self._ctx.settings.delivery_poll_seconds
        while not self._stopping.is_set():
            try:
                busy = self.run_once() >= BATCH
            except Exception:  # a store hiccup must not end the worker: log, try again
                logger.exception("The delivery worker failed; trying again in %.1f s", poll)
                busy = False
            if not busy:
                self._wake.wait(poll)
            self._wake.clear()

    def run_once(self) -> int:
        """Attempt (or defer) one batch of due deliveries; how many rows it handled."""
        now = datetime.now(UTC)
        with self._ctx.db.read() as conn:
            rows = repo.due_rows(conn, now, BATCH)
        if not rows:
            return 0
        targets = _targets(self._ctx)
        for row in rows:
            if self._stopping.is_set():
                break
            self._handle(_work(row), row._mapping["next_attempt_at"], targets)
        return len(rows)

    def _bucket(self, channel: str, rate: int) -> TokenBucket:
        bucket = self._buckets.get(channel)
        if bucket is None or bucket.rate != rate:
            if len(self._buckets) >= MAX_BUCKETS:  # one per e-mail address: keep it bounded
                self._buckets.clear()
            bucket = self._buckets[channel] = TokenBucket(rate)
        return bucket

    def _handle(self, work: DeliveryWork, due: datetime, targets: Mapping[str, Target]) -> None:
        s = self._ctx.settings
        target = _resolve(targets, work.channel)
        now = datetime.now(UTC)
        if target.problem is None:
            wait = self._bucket(work.channel, target.rate).take(time.monotonic())
            if wait > 0:  # over the channel's rate: deferred, not dropped nor counted
                with self._ctx.db.write() as conn:
                    repo.claim(conn, work.id, due, now + timedelta(seconds=wait))
                return
        # claimed past the attempt's timeout: no other server sends it meanwhile, and after a
        # crash mid-send it is due again
        lease = now + timedelta(seconds=s.delivery_timeout_seconds * 2 + 30)
        with self._ctx.db.write() as conn:
            if not repo.claim(conn, work.id, due, lease):
                return  # another server took it
        if self._http is None:
            self._http = http_client(self._ctx)
        record(self._ctx, work, send(self._ctx, self._http, target, work))


def deliver_now(ctx: Context, delivery_id: int) -> bool:
    """Make one attempt at a pending delivery in this process, now (``sounding channels
    test``, when no server may be running): claimed like the worker does, so a server's
    worker does not send it at the same time. False if it was not pending or not claimable."""
    with ctx.db.read() as conn:
        row = repo.delivery_row(conn, delivery_id)
    if row is None or row._mapping["status"] != "pending":
        return False
    work = _work(row)
    target = _resolve(_targets(ctx), work.channel)
    lease = datetime.now(UTC) + timedelta(seconds=ctx.settings.delivery_timeout_seconds * 2 + 30)
    with ctx.db.write() as conn:
        if not repo.claim(conn, work.id, row._mapping["next_attempt_at"], lease):
            return False
    with http_client(ctx) as client:
        record(ctx, work, send(ctx, client, target, work))
    return True
