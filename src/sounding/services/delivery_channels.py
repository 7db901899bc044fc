"""The delivery channels admins configure (``/api/v1/channels``, ``sounding channels``).

A channel is a webhook (the generic JSON body), a Slack incoming webhook or a list of e-mail
addresses. A webhook's signing secret and its URL are stored encrypted with the store's key (as
source credentials are): the secret is never shown back, and the URL only with its path hidden
(``https://hooks.slack.com/services/***``), since a Slack or Teams webhook URL is itself the
credential that lets anyone post to the channel. Sending the shown form back keeps the URL.
URLs must be http or https: like a workflow's ``notify`` step, a channel may name any host, so
only admins configure channels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import RowMapping

from sounding.domain.auth import Permission, Principal
from sounding.domain.delivery import MAX_ADDRESSES, MAX_RATE, MIN_RATE, Channel, ChannelKind
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos import delivery as repo

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
EMAIL_RE = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z0-9-]{2,63}$")
MAX_URL = 2000
MAX_SECRET = 500
UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class ChannelInput:
    """The fields of a create or an update (``UNSET``: keep what is stored)."""

    kind: str | Any = UNSET
    url: str | Any | None = UNSET
    addresses: Sequence[str] | Any = UNSET
    secret: str | Any | None = UNSET
    rate_per_minute: int | Any = UNSET
    enabled: bool | Any = UNSET


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InvalidInputError(
            f"Invalid channel name {name!r}: use 1-100 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit",
            field="name",
        )
    return name


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"A channel URL must be an http:// or https:// URL with a host, not {url!r}",
            field="url",
        )
    if len(url) > MAX_URL:
        raise InvalidInputError(f"A channel URL is at most {MAX_URL} characters", field="url")
    return url


def shown_url(url: str) -> str:
    """The URL as shown: scheme, host and the path's first segment; the rest (where webhook
    services put their token) and any query as ``***``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    if not segments and not parts.query:
        return f"{parts.scheme}://{netloc}/"
    first = f"/{segments[0]}" if len(segments) > 1 else ""
    return f"{parts.scheme}://{netloc}{first}/***"


def check_address(address: str) -> str:
    address = address.strip()
    if len(address) > 254 or not EMAIL_RE.match(address):
        raise InvalidInputError(
            f"Invalid e-mail address {address!r}: expected name@example.com", field="addresses"
        )
    return address


def _kind(value: Any) -> ChannelKind:
    try:
        return ChannelKind(value)
    except ValueError:
        raise InvalidInputError(
            f"Unknown channel kind {value!r}: use webhook, slack or email", field="kind"
        ) from None


def _channel(row: RowMapping) -> Channel:
    return Channel(
        name=row["name"],
        kind=ChannelKind(row["kind"]),
        url=row["url"],
        addresses=list(row["addresses"] or []),
        has_secret=row["secret_encrypted"] is not None,
        rate_per_minute=row["rate_per_minute"],
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["row_version"],
    )


def _merge(ctx: Context, stored: Mapping[str, Any], given: ChannelInput) -> dict[str, Any]:
    """The columns to store: ``given`` over ``stored``, checked as a whole."""
    kind = _kind(given.kind if given.kind is not UNSET else stored["kind"])
    url = given.url if given.url is not UNSET else stored.get("url")
    # the stored URL, given back as shown (or not given): keep the encrypted one
    keep_url = stored.get("url_encrypted") is not None and url == stored.get("url")
    addresses = given.addresses if given.addresses is not UNSET else stored.get("addresses")
    rate = given.rate_per_minute if given.rate_per_minute is not UNSET else stored["rate"]
    enabled = given.enabled if given.enabled is not UNSET else stored["enabled"]
    if kind is ChannelKind.EMAIL:
        if url:
            raise InvalidInputError("An email channel has addresses, not a URL", field="url")
        addresses = [check_address(a) for a in addresses or []]
        if not 1 <= len(addresses) <= MAX_ADDRESSES:
            raise InvalidInputError(
                f"An email channel needs 1 to {MAX_ADDRESSES} addresses", field="addresses"
            )
        url = None
    else:
        if not url:
            raise InvalidInputError(f"A {kind.value} channel needs a URL", field="url")
        if addresses:
            raise InvalidInputError(
                f"A {kind.value} channel has a URL, not addresses", field="addresses"
            )
        addresses = []
        if not keep_url:
            url = check_url(url)
    if isinstance(rate, bool) or not isinstance(rate, int) or not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidInputError(
            f"rate_per_minute must be a whole number from {MIN_RATE} to {MAX_RATE}",
            field="rate_per_minute",
        )
    if not isinstance(enabled, bool):
        raise InvalidInputError("enabled must be true or false", field="enabled")
    values: dict[str, Any] = {
        "kind": kind.value,
        "url": shown_url(url) if url and not keep_url else url,
        "addresses": addresses,
        "rate_per_minute": rate,
        "enabled": bool(enabled),
    }
    if url is None:
        values["url_encrypted"] = None
    elif not keep_url:
        values["url_encrypted"] = ctx.secrets.encrypt(url)
    if given.secret is not UNSET:
        secret = given.secret or None
        if secret is not None and len(secret) > MAX_SECRET:
            raise InvalidInputError(
                f"A signing secret is at most {MAX_SECRET} characters", field="secret"
            )
        values["secret_encrypted"] = None if secret is None else ctx.secrets.encrypt(secret)
    return values


def list_channels(ctx: Context, actor: Principal) -> list[Channel]:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        return [_channel(r._mapping) for r in repo.channel_rows(conn)]


def get_channel(ctx: Context, actor: Principal, name: str) -> Channel:
    actor.require(Permission.ADMIN)
    with ctx.db.read() as conn:
        row = repo.channel_row(conn, name)
    if row is None:
        raise NotFoundError(f"No channel named {name!r}", channel=name)
    return _channel(row._mapping)


def create_channel(ctx: Context, actor: Principal, name: str, given: ChannelInput) -> Channel:
    actor.require(Permission.ADMIN)
    check_name(name)
    defaults = {"kind": "webhook", "rate": 60, "enabled": True, "addresses": []}
    values = _merge(ctx, defaults, given)
    now = datetime.now(UTC)
    with ctx.db.write() as conn:
        if repo.channel_row(conn, name) is not None:
            raise ConflictError(f"A channel named {name!r} exists already", channel=name)
        values.setdefault("secret_encrypted", None)
        repo.insert_channel(conn, {"name": name, **values, "created_at": now, "updated_at": now})
        audit.record(conn, actor.name, "channel.create", "channel", name, {"kind": values["kind"]})
        row = repo.channel_row(conn, name)
    assert row is not None
    return _channel(row._mapping)


def update_channel(ctx: Context, actor: Principal, name: str, given: ChannelInput) -> Channel:
    actor.require(Permission.ADMIN)
    with ctx.db.write() as conn:
        row = repo.channel_row(conn, name)
        if row is None:
            raise NotFoundError(f"No channel named {name!r}", channel=name)
        stored = dict(row._mapping)
        stored["rate"] = stored["rate_per_minute"]
        if given.kind is not UNSET and given.kind != stored["kind"]:
            # a kind change brings its own target: the other kind's fields are dropped
            stored["url"] = None
            stored["url_encrypted"] = None
            stored["addresses"] = []
        values = _merge(ctx, stored, given)
        repo.update_channel(conn, name, {**values, "updated_at": datetime.now(UTC)})
        changed = sorted(f for f in ChannelInput.__slots__ if getattr(given, f) is not UNSET)
        audit.record(conn, actor.name, "channel.update", "channel", name, {"fields": changed})
        row = repo.channel_row(conn, name)
    assert row is not None
    return _channel(row._mapping)


def delete_channel(ctx: Context, actor: Principal, name: str) -> None:
    """Delete a channel; its deliveries stay in the log (pending ones fail as "no channel")."""
    actor.require(Permission.ADMIN)
    with ctx.db.write() as conn:
        if not repo.delete_channel(conn, name):
            raise NotFoundError(f"No channel named {name!r}", channel=name)
        audit.record(conn, actor.name, "channel.delete", "channel", name)
