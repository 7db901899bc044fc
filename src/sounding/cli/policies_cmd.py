"""``sounding policies ...``: grant a user a role's permissions on a domain, source or data
product (docs/access.md). Run on the server's machine as the store's owner (full rights)."""

from __future__ import annotations

from typing import Annotated

import typer

from sounding.cli.output import print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.access import service as access

app = typer.Typer(
    help="Access policies: a role's permissions on a domain, source or data product.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
COLUMNS = ["id", "user", "role", "scope_kind", "scope", "unmasked", "permissions", "created_by"]


@app.command("list")
def list_policies(
    user: Annotated[str | None, typer.Option(help="Only this user's policies")] = None,
    scope_kind: Annotated[
        str | None, typer.Option("--scope-kind", help="domain, source or data_product")
    ] = None,
    scope: Annotated[str | None, typer.Option(help="Only policies on this scope name")] = None,
    json_: JsonOpt = False,
) -> None:
    """List policies (by user, then scope)."""
    with open_context() as ctx:
        items, total = access.list_policies(
            ctx, local_operator(), 1000, 0, user=user, scope_kind=scope_kind, scope=scope
        )
    if json_:
        print_json({"items": items, "total": total})
    else:
        print_table(items, COLUMNS, fmt={"permissions": lambda v: ", ".join(v)})


@app.command("create")
def create_policy(
    user: Annotated[str, typer.Argument(help="The user the policy grants to")],
    role: Annotated[str, typer.Option(help="viewer or steward")] = "steward",
    domain: Annotated[str | None, typer.Option(help="Scope: this domain's assets")] = None,
    source: Annotated[str | None, typer.Option(help="Scope: this source's assets")] = None,
    data_product: Annotated[
        str | None, typer.Option("--data-product", help="Scope: this data product's assets")
    ] = None,
    unmasked: Annotated[
        bool, typer.Option("--unmasked", help="Also grant pii:read: sensitive values unmasked")
    ] = False,
    description: Annotated[str | None, typer.Option(help="Why the policy exists")] = None,
    json_: JsonOpt = False,
) -> None:
    """Grant USER a role's permissions on one scope: --domain, --source or --data-product."""
    given = [
        (k, v)
        for k, v in (("domain", domain), ("source", source), ("data_product", data_product))
        if v is not None
    ]
    if len(given) != 1:
        say("Give exactly one scope: --domain NAME, --source NAME or --data-product NAME")
        raise typer.Exit(2)
    kind, name = given[0]
    with open_context() as ctx:
        policy = access.create_policy(
            ctx,
            local_operator(),
            user,
            role,
            kind,
            name,
            unmasked=unmasked,
            description=description,
        )
    if json_:
        print_json(policy)
    else:
        say(
            f"Policy {policy.id}: {policy.user} holds {', '.join(policy.permissions)} "
            f"on {policy.scope_kind} '{policy.scope}'"
        )


@app.command("delete")
def delete_policy(policy_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Remove a policy; its grants stop (within a second on a running server)."""
    with open_context() as ctx:
        policy = access.delete_policy(ctx, local_operator(), policy_id)
    say(f"Deleted policy {policy.id} ({policy.user} on {policy.scope_kind} '{policy.scope}')")
