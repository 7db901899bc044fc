"""``sounding user ...``, ``sounding token ...`` and ``sounding audit``."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from sounding.cli.output import print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.accounts import NewToken
from sounding.domain.auth import local_operator
from sounding.errors import InvalidInputError
from sounding.features.accounts import service as accounts
from sounding.features.accounts import web_sessions

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="Read the audit log.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
ExpiresOpt = Annotated[
    str | None,
    typer.Option(
        "--expires-in",
        help="Lifetime: 90d, 12h, 1w or 'never' (default: SOUNDING_TOKEN_EXPIRES_IN)",
    ),
]


PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read a password for the web UI from standard input (one line)",
    ),
]


def _read_password() -> str:
    """One line of standard input, without its line end: never an argument, which would show
    in the process list and the shell history."""
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    web_sessions.check_password(password)
    return password


@user_app.command("create")
def create_user(
    name: str,
    role: Annotated[str, typer.Option(help="admin, steward or viewer")] = "viewer",
    password_stdin: PasswordStdinOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Create a user with a role (and, with --password-stdin, a web UI password)."""
    password = _read_password() if password_stdin else None
    with open_context() as ctx:
        user = accounts.create_user(ctx, local_operator(), name, role)
        if password is not None:
            web_sessions.set_password(ctx, local_operator(), name, password)
    if json_:
        print_json(user)
    elif password is not None:
        say(f"Created user {user.name} ({user.role}); they can log in to the web UI")
    else:
        say(
            f"Created user {user.name} ({user.role}); give them a token: "
            f"sounding token create {user.name}, or a web UI password: "
            f"sounding user set-password {user.name} --password-stdin"
        )


@user_app.command("set-password")
def set_password(name: str, password_stdin: PasswordStdinOpt = False) -> None:
    """Set a user's web UI password, read from standard input; ends their web sessions."""
    if not password_stdin:
        raise InvalidInputError(
            "Pass the password on standard input with --password-stdin, e.g. "
            f'`printf %s "$PASSWORD" | sounding user set-password {name} --password-stdin`'
        )
    password = _read_password()
    with open_context() as ctx:
        web_sessions.set_password(ctx, local_operator(), name, password)
    say(f"Set the web UI password of {name}; their open sessions ended")


@user_app.command("list")
def list_users(json_: JsonOpt = False) -> None:
    """List users."""
    with open_context() as ctx:
        items, total = accounts.list_users(ctx, local_operator(), 1000, 0)
    if json_:
        print_json({"items": items, "total": total})
    else:
        print_table(items, ["id", "name", "role", "disabled", "created_at"])


@token_app.command("create")
def create_token(
    user: str,
    name: Annotated[str | None, typer.Option(help="A label for the token")] = None,
    expires_in: ExpiresOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create an API token for a user and print it once."""
    with open_context() as ctx:
        created = accounts.create_token(ctx, local_operator(), user, name, expires_in)
    _print_token(created, json_)


@token_app.command("rotate")
def rotate_token(token_id: int, expires_in: ExpiresOpt = None, json_: JsonOpt = False) -> None:
    """Replace a token by a new one (printed once); the old one stops working now."""
    with open_context() as ctx:
        created = accounts.rotate_token(ctx, local_operator(), token_id, expires_in)
    _print_token(created, json_)


def _print_token(created: NewToken, json_: bool) -> None:
    if json_:
        shown: dict[str, Any] = {
            "token": created.token,
            "id": created.id,
            "user": created.user,
            "expires_at": created.expires_at,
        }
        if created.replaces is not None:
            shown["replaces"] = created.replaces
        print_json(shown)
    else:
        say(created.token)


@token_app.command("list")
def list_tokens(user: str, json_: JsonOpt = False) -> None:
    """List a user's tokens (never the tokens themselves)."""
    with open_context() as ctx:
        items = accounts.list_tokens(ctx, local_operator(), user)
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(
            items,
            ["id", "prefix", "name", "created_at", "last_used_at", "expires_at", "revoked_at"],
        )


@token_app.command("revoke")
def revoke_token(token_id: int) -> None:
    """Revoke a token by id."""
    with open_context() as ctx:
        accounts.revoke_token(ctx, local_operator(), token_id)
    say(f"Revoked token {token_id}")


@audit_app.command("list")
def audit_list(
    user: Annotated[str | None, typer.Option(help="Only this actor")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    json_: JsonOpt = False,
) -> None:
    """Show the newest audit records."""
    with open_context() as ctx:
        items, total = accounts.audit_entries(ctx, local_operator(), limit, 0, user)
    if json_:
        print_json({"items": items, "total": total})
    else:
        print_table(items, ["at", "actor", "action", "target_type", "target", "details"])
