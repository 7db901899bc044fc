"""The ``sounding`` command line. Every command runs against the local store as its operator."""

from __future__ import annotations

from typing import Annotated

import typer

from sounding.cli import (
    assets_cmd,
    classify_cmd,
    compliance_cmd,
    core,
    glossary_cmd,
    insights_cmd,
    lineage_cmd,
    pool_cmd,
    quality_cmd,
    search_cmd,
    sources_cmd,
    usage_cmd,
    users_cmd,
    workflow_cmd,
)

app = typer.Typer(
    name="sounding",
    help="Sounding: self-hosted data governance (catalog, scans, lineage, classification).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(core.serve)
app.command("demo")(core.demo)
app.command("scan")(sources_cmd.scan)
app.add_typer(sources_cmd.app, name="source")
app.add_typer(assets_cmd.app, name="assets")
app.add_typer(lineage_cmd.app, name="lineage")
app.add_typer(classify_cmd.classifications_app, name="classifications")
app.add_typer(classify_cmd.rules_app, name="rules")
app.add_typer(compliance_cmd.app, name="compliance")
app.add_typer(glossary_cmd.app, name="glossary")
app.command("profile")(classify_cmd.profile)
app.add_typer(workflow_cmd.workflow_app, name="workflow")
app.add_typer(search_cmd.app, name="search")
app.add_typer(insights_cmd.template_app, name="template")
app.add_typer(insights_cmd.insights_app, name="insights")
app.add_typer(usage_cmd.usage_app, name="usage")
app.add_typer(usage_cmd.analytics_app, name="analytics")
app.add_typer(workflow_cmd.execution_app, name="execution")
app.add_typer(pool_cmd.pool_app, name="pool")
app.add_typer(users_cmd.user_app, name="user")
app.add_typer(users_cmd.token_app, name="token")
app.add_typer(users_cmd.audit_app, name="audit")
app.add_typer(quality_cmd.app, name="quality")


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit")] = False,
) -> None:
    if version:
        from sounding import __version__
        from sounding.cli.output import say

        say(__version__)
        raise typer.Exit(0)


def main() -> None:
    app()
