"""``sounding subscribe``, ``sounding subscriptions ...`` and ``sounding inbox``: alerts.

The CLI acts as the local operator (``cli:<os user>``) unless ``--as USER`` names the user it
acts for: their subscriptions and inbox. A server's dispatcher fills the inboxes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from sounding.cli.output import print_json, print_table, say
from sounding.cli.state import acting_as, open_context
from sounding.domain.auth import Principal, Role, local_operator
from sounding.domain.events import EVENT_KINDS
from sounding.domain.timestamps import format_timestamp
from sounding.features.alerts import service as alerts
from sounding.features.alerts.records import TARGET_KINDS

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act for this user (their alerts); default: you, the operator"),
]
subscriptions_app = typer.Typer(
    help="Your subscriptions: list or delete them (subscribe with `sounding subscribe`).",
    no_args_is_help=True,
)


def _who(user: str | None) -> Principal:
    return acting_as(user, Role.VIEWER)


def subscribe(
    kind: Annotated[str, typer.Argument(help=f"What to follow: {', '.join(TARGET_KINDS)}")],
    ref: Annotated[
        str,
        typer.Argument(
            help="An asset's URN or id; a domain's, source's or workflow's name; a saved "
            "search's query text"
        ),
    ],
    events: Annotated[
        list[str] | None,
        typer.Option("--events", help=f"Only these kinds (repeat): {', '.join(EVENT_KINDS)}"),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            help="An external channel besides the inbox (repeat): a configured "
            "channel's name or email:<address>",
        ),
    ] = None,
    digest: Annotated[
        bool, typer.Option("--digest", help="External channels get one message a day")
    ] = False,
    mute: Annotated[
        bool, typer.Option("--mute", help="Tell me nothing about it (mutes an owner's default)")
    ] = False,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Subscribe to an asset, a domain, a source, a saved search or a workflow."""
    with open_context() as ctx:
        sub = alerts.subscribe(
            ctx,
            _who(as_),
            kind,
            ref,
            events=events or [],
            channels=channel or [],
            digest=digest,
            muted=mute,
        )
    if json_:
        print_json(asdict(sub))
        return
    what = "Muted" if sub.muted else "Subscribed to"
    say(f"{what} {sub.target_kind} {sub.target_ref} (subscription {sub.id})")


@subscriptions_app.command("list")
def list_(
    everyone: Annotated[bool, typer.Option("--all", help="Every user's")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0, max=1_000_000)] = 0,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List your subscriptions (owners' and stewards' defaults are implied, not listed)."""
    with open_context() as ctx:
        who = local_operator() if everyone and as_ is None else _who(as_)
        page = alerts.list_subscriptions(ctx, who, everyone=everyone, limit=limit, offset=offset)
    if json_:
        print_json({"items": [asdict(s) for s in page.items], "total": page.total})
        return
    if not page.items:
        say("No subscriptions. Subscribe: sounding subscribe asset URN")
        return
    rows = [
        {
            "id": s.id,
            "user": s.user,
            "kind": s.target_kind,
            "target": s.target_ref,
            "events": ",".join(s.events) or "all",
            "channels": ",".join(["inbox", *s.channels]),
            "digest": "digest" if s.digest else "",
            "muted": "muted" if s.muted else "",
        }
        for s in page.items
    ]
    print_table(rows, ["id", "user", "kind", "target", "events", "channels", "digest", "muted"])
    if page.total > offset + len(page.items):
        say(f"({len(page.items)} of {page.total}; use --limit/--offset)")


@subscriptions_app.command("delete")
def delete(
    subscription_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)],
    as_: AsOpt = None,
) -> None:
    """Delete one of your subscriptions."""
    with open_context() as ctx:
        alerts.unsubscribe(ctx, _who(as_), subscription_id)
    say(f"Deleted subscription {subscription_id}")


def inbox(
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications")] = False,
    read_all: Annotated[
        bool, typer.Option("--read-all", help="Mark every notification read")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0, max=1_000_000)] = 0,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Your notifications, newest first (--read-all marks them read)."""
    with open_context() as ctx:
        who = _who(as_)
        if read_all:
            marked = alerts.mark_all_read(ctx, who)
            say(f"Marked {marked} notification(s) read")
            return
        page = alerts.inbox(ctx, who, unread=unread, limit=limit, offset=offset)
    if json_:
        print_json(
            {"items": [asdict(n) for n in page.items], "total": page.total, "unread": page.unread}
        )
        return
    if not page.items:
        say("No notifications." if not unread else "No unread notifications.")
        return
    rows = [
        {
            "id": n.id,
            "when": format_timestamp(n.created_at),
            "kind": n.kind,
            "title": n.title,
            "why": n.reason,
            "read": "" if n.read else "unread",
        }
        for n in page.items
    ]
    print_table(rows, ["id", "when", "kind", "title", "why", "read"])
    say(f"{page.unread} unread")
