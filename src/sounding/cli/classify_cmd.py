"""``sounding classifications ...``, ``sounding rules ...`` and ``sounding profile``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from sounding.cli.output import (
    print_json,
    print_table,
    read_text,
    say,
)
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.services import classification, profiling

classifications_app = typer.Typer(help="Sensitive-data labels on columns.", no_args_is_help=True)
rules_app = typer.Typer(help="Custom scan rule sets.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


@classifications_app.command("list")
def list_(
    label: Annotated[str | None, typer.Option(help="A label or family, e.g. PII.Email, PII")] = (
        None
    ),
    status: Annotated[str | None, typer.Option(help="suggested, confirmed or rejected")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 500,
    json_: JsonOpt = False,
) -> None:
    """List labelled columns."""
    with open_context() as ctx:
        items, total = classification.list_classifications(
            ctx, local_operator(), label, status, source, limit, 0
        )
    rows = [asdict(i) for i in items]
    if json_:
        print_json({"items": rows, "total": total})
        return
    print_table(rows, ["source", "qualified_name", "label", "confidence", "status", "rule"])


def _decide(ref: str, label: str, status: str, note: str | None, json_: bool) -> None:
    with open_context() as ctx:
        result = classification.decide(ctx, local_operator(), ref, label, status, note)
    if json_:
        print_json(asdict(result))
    else:
        say(f"{status} {label} on {ref}")


@classifications_app.command("confirm")
def confirm(
    ref: Annotated[str, typer.Argument(help="Column id or URN")],
    label: str,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    json_: JsonOpt = False,
) -> None:
    """Confirm a label on a column (rescans never change it)."""
    _decide(ref, label, "confirmed", note, json_)


@classifications_app.command("reject")
def reject(
    ref: Annotated[str, typer.Argument(help="Column id or URN")],
    label: str,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    json_: JsonOpt = False,
) -> None:
    """Reject a label on a column (rescans never suggest it again)."""
    _decide(ref, label, "rejected", note, json_)


@rules_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="Rule set YAML (see docs/classification.md)")],
    source: Annotated[list[str] | None, typer.Option(help="Attach to this source (repeat)")] = (
        None
    ),
    json_: JsonOpt = False,
) -> None:
    """Create or replace a rule set from YAML; the next scans re-evaluate affected columns."""
    text = read_text(file)
    with open_context() as ctx:
        result = classification.apply_rule_file(ctx, local_operator(), text, source or [])
    if json_:
        print_json(asdict(result))
    else:
        say(
            f"Rule set {result.name} v{result.version} attached to: "
            f"{', '.join(result.sources) or 'no source'}"
        )


@rules_app.command("list")
def rules_list(json_: JsonOpt = False) -> None:
    """List custom rule sets."""
    with open_context() as ctx:
        items = [asdict(r) for r in classification.list_rule_sets(ctx, local_operator())]
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["name", "version", "sources", "description", "updated_at"])


def profile(
    ref: Annotated[str, typer.Argument(help="Asset id or URN")],
    json_: JsonOpt = False,
) -> None:
    """Show an asset's newest profile."""
    with open_context() as ctx:
        result = profiling.get_profile(ctx, local_operator(), ref)
    if json_:
        print_json(asdict(result))
        return
    prof = result.profile
    cols = prof.get("columns") or [prof]
    say(
        f"{result.urn}: {prof.get('row_count')} rows, sampled {prof.get('sampled_rows')} "
        f"({result.policy['kind']})"
    )
    print_table(
        cols,
        ["name", "null_ratio", "distinct_count", "min", "max", "mean", "avg_length"],
        title="profile",
    )
