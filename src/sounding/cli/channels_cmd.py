"""``sounding channels ...``: where alerts go (webhooks, Slack, e-mail) and the delivery log."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sounding.cli.output import fail, print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.domain.delivery import MAX_RATE, MIN_RATE, Channel
from sounding.services import delivery, delivery_channels
from sounding.services.delivery_channels import ChannelInput

app = typer.Typer(
    help="Alert channels (webhook, Slack, e-mail) and the delivery log.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _public(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "kind": channel.kind.value,
        "url": channel.url,
        "addresses": channel.addresses,
        "secret": channel.secret,
        "rate_per_minute": channel.rate_per_minute,
        "enabled": channel.enabled,
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


@app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """List the channels (secrets show as ***)."""
    with open_context() as ctx:
        items = [_public(c) for c in delivery_channels.list_channels(ctx, local_operator())]
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["name", "kind", "url", "addresses", "rate_per_minute", "enabled"])


@app.command("add")
def add(
    name: str,
    kind: Annotated[str, typer.Option("--kind", help="webhook, slack or email")] = "webhook",
    url: Annotated[str | None, typer.Option("--url", help="http(s) URL (webhook, slack)")] = None,
    address: Annotated[
        list[str] | None, typer.Option("--address", help="E-mail address (email; repeat)")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            envvar="SOUNDING_CHANNEL_SECRET",
            help="Signing secret (or SOUNDING_CHANNEL_SECRET, kept out of the shell history)",
        ),
    ] = None,
    rate: Annotated[
        int, typer.Option("--rate", min=MIN_RATE, max=MAX_RATE, help="Messages per minute")
    ] = 60,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled")] = False,
    json_: JsonOpt = False,
) -> None:
    """Add a channel: --url for webhook and slack, --address for email."""
    given = ChannelInput(
        kind=kind,
        url=url,
        addresses=address or [],
        secret=secret,
        rate_per_minute=rate,
        enabled=not disabled,
    )
    with open_context() as ctx:
        channel = delivery_channels.create_channel(ctx, local_operator(), name, given)
    if json_:
        print_json(_public(channel))
    else:
        say(f"Channel {channel.name} added ({channel.kind.value})")


@app.command("remove")
def remove(name: str) -> None:
    """Remove a channel (its deliveries stay in the log)."""
    with open_context() as ctx:
        delivery_channels.delete_channel(ctx, local_operator(), name)
    say(f"Channel {name} removed")


@app.command("test")
def test(name: str, json_: JsonOpt = False) -> None:
    """Send a test message to a channel now and say how it went (exit 1 if it failed)."""
    with open_context() as ctx:
        sent = delivery.send_test(ctx, local_operator(), name, attempt_now=True)
    if json_:
        print_json(sent)
    elif sent.status == "delivered":
        say(f"Test message {sent.id} delivered to {name}")
    else:
        status = f" (HTTP {sent.last_http_status})" if sent.last_http_status else ""
        fail(f"Test message {sent.id} to {name} not delivered{status}: {sent.last_error}")


@app.command("deliveries")
def deliveries(
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered or failed")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many")] = 50,
    json_: JsonOpt = False,
) -> None:
    """The delivery log, newest first."""
    with open_context() as ctx:
        page = delivery.list_deliveries(
            ctx, local_operator(), channel=channel, status=status, limit=limit
        )
    if json_:
        print_json({"items": page.items, "total": page.total})
    else:
        columns = ["id", "channel", "status", "attempts", "subject", "last_error", "created_at"]
        print_table(page.items, columns)
