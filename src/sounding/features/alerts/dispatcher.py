"""The dispatcher: reads the catalog event outbox past its cursor, in bounded batches, and
tells each subscriber once per event.

An event on an asset matches subscriptions on the asset, on its table (a column's event),
its source, its domain, and saved searches whose query finds the asset; a source or workflow
event matches subscriptions on that source or workflow. The asset's owner and steward are
subscribed by default unless they muted the target. Each user told gets one inbox entry per
event (a unique constraint); their external channels get one message per event each, handed
to the delivery outbox with the key ``event:<id>:user:<name>`` (delivery sends a key once),
or, for a digest subscription, one message per user and day (``digest:<user>:<date>``).

A round runs in one write transaction: the notifications, the messages and the cursor move
together, so a crash repeats a round at most, and the unique keys make the repeat harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sounding.domain.events import CatalogEvent
from sounding.domain.search import SearchMode, SearchQuery
from sounding.features.alerts import repo
from sounding.features.alerts.records import DispatchRound, TargetKind
from sounding.services import delivery, events
from sounding.services.context import Context, RuntimePart
from sounding.services.delivery import OutgoingMessage
from sounding.store.repos import utcnow

logger = logging.getLogger(__name__)

BATCH = 200  # events per round
POLL_SECONDS = 1.0  # how often the dispatcher looks for new events
SEARCH_HITS = 200  # a saved search matches an asset among its first this many hits
DIGEST_ROWS = 5000  # notifications a digest round reads, at most


@dataclass(slots=True)
class _Recipient:
    reasons: list[str] = field(default_factory=list)
    channels: set[str] = field(default_factory=set)
    digest_channels: set[str] = field(default_factory=set)


def _wants(sub: Mapping[str, Any], kind: str) -> bool:
    return not sub["events"] or kind in sub["events"]


def _link(event: CatalogEvent) -> str | None:
    if event.asset_id is not None:
        return f"/assets/{event.asset_id}"
    if event.payload.get("execution_id"):
        return f"/executions/{event.payload['execution_id']}"
    if event.workflow is not None:
        return f"/workflows/{event.workflow}"
    if event.source is not None:
        return f"/sources/{event.source}"
    return None


class _SavedSearches:
    """The assets each saved search finds, searched once per round."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._found: dict[str, set[int]] = {}

    def finds(self, query: str, asset_ids: Iterable[int]) -> bool:
        if query not in self._found:
            self._found[query] = self._search(query)
        return any(a in self._found[query] for a in asset_ids)

    def _search(self, query: str) -> set[int]:
        try:
            page = self._ctx.search_state().index.search(
                SearchQuery(text=query, limit=SEARCH_HITS, mode=SearchMode.KEYWORD, facets=False)
            )
        except Exception:  # a saved search that cannot run matches nothing this round
            logger.exception("Saved search %r failed while matching alerts", query)
            return set()
        return {hit.id for hit in page.items}


def _recipients(
    event: CatalogEvent,
    subs: Sequence[Mapping[str, Any]],
    owners: Mapping[int, tuple[str | None, str | None]],
    searches: _SavedSearches,
) -> dict[str, _Recipient]:
    assets = [a for a in (event.asset_id, event.table_id) if a is not None]
    named = {
        TargetKind.SOURCE.value: event.source,
        TargetKind.DOMAIN.value: event.domain,
        TargetKind.WORKFLOW.value: event.workflow,
    }
    out: dict[str, _Recipient] = {}
    muted: set[str] = set()
    for sub in subs:
        kind = sub["target_kind"]
        if kind == TargetKind.ASSET:
            hit = sub["asset_id"] in assets
        elif kind == TargetKind.SAVED_SEARCH:
            hit = bool(assets) and searches.finds(sub["target_ref"], assets)
        else:
            hit = named.get(kind) is not None and named[kind] == sub["target_ref"]
        if not hit or not _wants(sub, event.kind):
            continue
        user = str(sub["user_name"])
        if sub["muted"]:
            muted.add(user)
            continue
        got = out.setdefault(user, _Recipient())
        got.reasons.append(f"{kind} {sub['target_ref']}")
        (got.digest_channels if sub["digest"] else got.channels).update(sub["channels"])
    for asset_id in assets:
        owner, steward = owners.get(asset_id, (None, None))
        for role, who in (("owner", owner), ("steward", steward)):
            if who and who not in muted:
                out.setdefault(who, _Recipient()).reasons.append(role)
    return out


def _payload(event: CatalogEvent, user: str, reason: str) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "kind": event.kind,
        "title": event.title,
        "created_at": event.created_at.isoformat(),
        "urn": event.urn,
        "source": event.source,
        "domain": event.domain,
        "workflow": event.workflow,
        "user": user,
        "reason": reason,
        "details": dict(event.payload),
    }


def _match(
    ctx: Context, conn: Any, batch: Sequence[CatalogEvent]
) -> list[tuple[CatalogEvent, dict[str, _Recipient]]]:
    asset_ids = {a for e in batch for a in (e.asset_id, e.table_id) if a is not None}
    named: dict[str, set[str]] = {"source": set(), "domain": set(), "workflow": set()}
    for e in batch:
        for kind, value in (("source", e.source), ("domain", e.domain), ("workflow", e.workflow)):
            if value is not None:
                named[kind].add(value)
    subs = repo.matching_subscriptions(conn, asset_ids, named)
    owners = repo.stewardship(conn, asset_ids)
    searches = _SavedSearches(ctx)
    return [(e, _recipients(e, subs, owners, searches)) for e in batch]


def dispatch_once(ctx: Context, now: datetime | None = None) -> DispatchRound:
    """One round: the next batch of events past the cursor, then the digests that are due
    (made before today, UTC, or before ``now``'s day)."""
    with ctx.db.read() as conn:
        start = repo.cursor(conn)
        batch = events.read_after(conn, start, BATCH)
        matched = _match(ctx, conn, batch) if batch else []
    notes = messages = 0
    if batch:
        with ctx.db.write() as conn:
            if repo.cursor(conn, lock=True) != start:  # another server took this batch
                return DispatchRound(0, 0, 0, 0)
            notes, messages = _write(conn, matched)
            repo.move_cursor(conn, batch[-1].id, utcnow())
    digests = send_digests(ctx, now)
    return DispatchRound(len(batch), notes, messages, digests)


def _write(
    conn: Any, matched: Sequence[tuple[CatalogEvent, dict[str, _Recipient]]]
) -> tuple[int, int]:
    done = repo.notified(conn, [e.id for e, _ in matched])
    rows: list[dict[str, Any]] = []
    outgoing: list[OutgoingMessage] = []
    for event, recipients in matched:
        link = _link(event)
        for user, got in sorted(recipients.items()):
            reason = ", ".join(dict.fromkeys(got.reasons))[:300]
            if (user, event.id) in done:
                continue
            rows.append(
                {
                    "user_name": user,
                    "event_id": event.id,
                    "kind": event.kind,
                    "title": event.title,
                    "urn": event.urn,
                    "link": link,
                    "reason": reason,
                    "created_at": event.created_at,
                    "digest_channels": sorted(got.digest_channels - got.channels) or None,
                }
            )
            text = f"{event.title}\n\n{event.urn or ''}\nYou get this as: {reason}"
            outgoing.extend(
                OutgoingMessage(
                    channel=channel,
                    dedup_key=f"event:{event.id}:user:{user}",
                    subject=f"[Sounding] {event.title}",
                    text=text.strip(),
                    payload=_payload(event, user, reason),
                    link=link,
                )
                for channel in sorted(got.channels)
            )
    repo.insert_notifications(conn, rows)
    return len(rows), delivery.enqueue(conn, outgoing)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def send_digests(ctx: Context, now: datetime | None = None) -> int:
    """One message per user and day to each of their digest channels, for the days before
    ``now``'s (UTC); returns how many new messages were handed to delivery."""
    today = (now or utcnow()).astimezone(UTC).date()
    with ctx.db.write() as conn:
        rows = repo.digest_due(conn, _midnight(today), DIGEST_ROWS)
        if not rows:
            return 0
        by_day: dict[tuple[str, date], list[dict[str, Any]]] = {}
        for row in rows:
            day = row["created_at"].astimezone(UTC).date()
            by_day.setdefault((row["user_name"], day), []).append(row)
        # a digest is sent once (its key), so a user's day is never split across rounds: with
        # the limit reached, the last user-day (rows come by user and time) waits for the next
        # round, unless it is the only one: then it is sent with what it holds and the count
        # of the rest, and the rest is closed with it
        more: dict[tuple[str, date], int] = {}
        if len(rows) >= DIGEST_ROWS:
            last = (rows[-1]["user_name"], rows[-1]["created_at"].astimezone(UTC).date())
            if len(by_day) > 1:
                del by_day[last]
            else:
                user, day = last
                start = _midnight(day)
                closed = repo.digest_close_day(conn, user, start, start + timedelta(days=1))
                more[last] = max(0, closed - len(by_day[last]))
        outgoing: list[OutgoingMessage] = []
        for (user, day), items in sorted(by_day.items()):
            channels = sorted({c for r in items for c in r["digest_channels"]})
            lines = [f"- {r['title']}" + (f" ({r['urn']})" if r["urn"] else "") for r in items]
            if more.get((user, day)):
                lines.append(f"... and {more[(user, day)]} more: see /inbox")
            outgoing.extend(
                OutgoingMessage(
                    channel=channel,
                    dedup_key=f"digest:{user}:{day.isoformat()}",
                    subject=f"[Sounding] {len(items)} alert(s) on {day.isoformat()}",
                    text="\n".join(lines),
                    payload={
                        "digest": day.isoformat(),
                        "user": user,
                        "events": [int(r["event_id"]) for r in items],
                        "titles": [r["title"] for r in items],
                    },
                    link="/inbox",
                )
                for channel in channels
            )
        sent = delivery.enqueue(conn, outgoing)
        repo.digest_done(conn, [int(r["id"]) for items in by_day.values() for r in items])
    return sent


def drain(ctx: Context, now: datetime | None = None, rounds: int = 1000) -> DispatchRound:
    """Rounds until no event is left (bounded); the totals."""
    total = DispatchRound(0, 0, 0, 0)
    for _ in range(rounds):
        one = dispatch_once(ctx, now)
        total = DispatchRound(
            total.events + one.events,
            total.notifications + one.notifications,
            total.messages + one.messages,
            total.digests + one.digests,
        )
        if one.events == 0:
            break
    return total


class AlertDispatcher(RuntimePart):
    """The server's dispatcher thread (started by the feature's ``start`` hook;
    ``Context.stop`` stops it)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="sounding-alerts", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                drain(self._ctx)
            except Exception:  # the cursor did not move: the next round tries again
                logger.exception("Dispatching alerts failed; will retry")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def dispatcher(ctx: Context) -> AlertDispatcher:
    return ctx.part(AlertDispatcher)
