"""``sounding products ...``: data products, their ports, lifecycle and health."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sounding.cli.output import EXIT_USAGE, fail, print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.data_products import service as products
from sounding.features.data_products.records import DataProductDetail

app = typer.Typer(
    help="Data products: owned, versioned bundles of assets with input and output ports.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
RefArg = Annotated[str, typer.Argument(help="Data product name or id")]
OwnerOpt = Annotated[list[str] | None, typer.Option("--owner", help="An owner (repeat)")]
InputOpt = Annotated[
    list[str] | None, typer.Option("--input", help="An input asset, id or URN (repeat)")
]
OutputOpt = Annotated[
    list[str] | None, typer.Option("--output", help="An output asset, id or URN (repeat)")
]
DescOpt = Annotated[str | None, typer.Option(help="What the product offers")]
DomainOpt = Annotated[str | None, typer.Option(help="The domain it belongs to ('' for none)")]
SlaOpt = Annotated[str | None, typer.Option(help="The promise to consumers, in words")]
FreshOpt = Annotated[
    int | None, typer.Option(min=1, max=24 * 366, help="Outputs at most this many hours old")
]
COLUMNS = ["id", "name", "status", "version", "domain", "input_count", "output_count"]


def _show(p: DataProductDetail, json_: bool) -> None:
    if json_:
        print_json(p)
        return
    say(f"[bold]{p.name}[/bold] v{p.version} ({p.status}) id={p.id}")
    if p.description:
        say(p.description)
    say(f"owners: {', '.join(p.owners) or '(none)'}   domain: {p.domain or '(none)'}")
    if p.sla or p.freshness_hours:
        fresh = f"fresh within {p.freshness_hours} h" if p.freshness_hours else ""
        say(f"sla: {'; '.join(x for x in (p.sla, fresh) if x)}")
    for title, items in (("inputs", p.inputs), ("outputs", p.outputs)):
        if items:
            print_table(list(items), ["id", "type", "qualified_name", "source"], title=title)
    if p.health is not None:
        h = p.health
        score = "n/a" if h.quality_score is None else f"{h.quality_score:.2f}"
        say(
            f"health: {h.status}; quality {score} over {h.tables_scored} table(s); "
            f"{h.open_findings} open finding(s)"
        )


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="Part of the name")] = None,
    status: Annotated[str | None, typer.Option(help="draft, published or deprecated")] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain's")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    json_: JsonOpt = False,
) -> None:
    """List data products by name."""
    with open_context() as ctx:
        items, total = products.list_products(
            ctx, local_operator(), limit=limit, offset=0, q=q, status=status, domain=domain
        )
    if json_:
        print_json({"items": items, "total": total})
        return
    if not items:
        say("No data products. Create one: sounding products create NAME --output ASSET")
        return
    print_table(items, COLUMNS)


@app.command("show")
def show(ref: RefArg, json_: JsonOpt = False) -> None:
    """A data product: its ports, SLA and health."""
    with open_context() as ctx:
        found = products.get_product(ctx, local_operator(), ref)
    _show(found, json_)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The product's name")],
    description: DescOpt = None,
    owner: OwnerOpt = None,
    domain: DomainOpt = None,
    sla: SlaOpt = None,
    freshness_hours: FreshOpt = None,
    input_: InputOpt = None,
    output: OutputOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create a draft data product (version 1)."""
    data: dict[str, Any] = {
        "name": name,
        "owners": owner or [],
        "inputs": input_ or [],
        "outputs": output or [],
    }
    for key, value in (
        ("description", description),
        ("domain", domain),
        ("sla", sla),
        ("freshness_hours", freshness_hours),
    ):
        if value is not None:
            data[key] = value
    with open_context() as ctx:
        made = products.create_product(ctx, local_operator(), data)
    if json_:
        _show(made, json_)
    else:
        say(f"Created data product {made.name} (id {made.id}, draft, v{made.version})")


@app.command("update")
def update(
    ref: RefArg,
    name: Annotated[str | None, typer.Option(help="Rename it")] = None,
    description: DescOpt = None,
    owner: OwnerOpt = None,
    domain: DomainOpt = None,
    sla: SlaOpt = None,
    freshness_hours: FreshOpt = None,
    status: Annotated[str | None, typer.Option(help="published or deprecated")] = None,
    input_: InputOpt = None,
    output: OutputOpt = None,
    clear_inputs: Annotated[bool, typer.Option("--clear-inputs")] = False,
    clear_outputs: Annotated[bool, typer.Option("--clear-outputs")] = False,
    json_: JsonOpt = False,
) -> None:
    """Change a data product; new --input/--output lists replace the ports (a new version)."""
    data: dict[str, Any] = {}
    for key, value in (
        ("name", name),
        ("description", description),
        ("sla", sla),
        ("freshness_hours", freshness_hours),
        ("status", status),
    ):
        if value is not None:
            data[key] = value
    if domain is not None:
        data["domain"] = domain or None
    if owner:
        data["owners"] = owner
    if input_ or clear_inputs:
        data["inputs"] = input_ or []
    if output or clear_outputs:
        data["outputs"] = output or []
    if not data:
        fail("Nothing to change: give an option (see --help)", EXIT_USAGE)
    with open_context() as ctx:
        done = products.update_product(ctx, local_operator(), ref, data)
    if json_:
        _show(done, json_)
    else:
        say(f"Updated data product {done.name} ({done.status}, v{done.version})")


@app.command("delete")
def delete(ref: RefArg) -> None:
    """Delete a draft or deprecated data product."""
    with open_context() as ctx:
        products.delete_product(ctx, local_operator(), ref)
    say(f"Deleted data product {ref}")
