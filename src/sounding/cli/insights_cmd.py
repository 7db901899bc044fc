"""``sounding template ...`` and ``sounding insights ...``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer

from sounding.cli.output import (
    parse_params,
    print_json,
    print_table,
    say,
)
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.insights import service as insights
from sounding.services import templates

template_app = typer.Typer(help="Built-in workflow templates.", no_args_is_help=True)
insights_app = typer.Typer(
    help="Forecasts, anomalies, recommendations and analytics from execution history.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
WorkflowOpt = Annotated[str | None, typer.Option(help="Only this workflow")]


def _pct(value: Any) -> str:
    return "" if value is None else f"{value:.1%}"


def _secs(value: Any) -> str:
    return "" if value is None else f"{value:.3g} s"


# --- templates ----------------------------------------------------------------------------


@template_app.command("list")
def list_templates(json_: JsonOpt = False) -> None:
    """List the built-in templates."""
    with open_context() as ctx:
        items = templates.list_templates(ctx, local_operator())
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["name", "title", "required"])


@template_app.command("show")
def show_template(name: str, json_: JsonOpt = False) -> None:
    """Show a template: description, parameters (type, default) and workflow."""
    with open_context() as ctx:
        t = templates.get(ctx, local_operator(), name)
    if json_:
        print_json(t)
        return
    say(f"{t.name} ({t.category}): {t.title}")
    say(t.description)
    props = t.parameters.get("properties", {})
    rows = [
        {
            "parameter": key,
            "type": json.dumps(p.get("type", p.get("oneOf", ""))),
            "required": key in t.required,
            "default": json.dumps(p["default"]) if "default" in p else "",
            "description": p.get("description", ""),
        }
        for key, p in props.items()
    ]
    print_table(rows, ["parameter", "type", "required", "default", "description"])


@template_app.command("instantiate")
def instantiate(
    name: str,
    param: Annotated[list[str] | None, typer.Option(help="KEY=VALUE (repeat; JSON values)")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create (or update) a workflow from a template."""
    with open_context() as ctx:
        result = templates.instantiate_template(ctx, local_operator(), name, parse_params(param))
    if json_:
        print_json(result)
        return
    wf = result.workflow
    change = "stored" if wf.changed else "unchanged"
    say(f"Workflow {wf.name} v{wf.version} {change} from template {name}: {list(wf.steps)}")


# --- insights -----------------------------------------------------------------------------


@insights_app.command("forecast")
def forecast(
    workflow: WorkflowOpt = None,
    tasks: Annotated[int | None, typer.Option(min=0, help="Forecast at this task count")] = None,
    json_: JsonOpt = False,
) -> None:
    """Duration forecasts per workflow and step, with their leave-one-out error (MAPE)."""
    with open_context() as ctx:
        result = insights.forecasts(ctx, local_operator(), workflow, tasks)
    if json_:
        print_json(result)
        return
    rows = []
    for item in result.items:
        parts = [("(workflow)", item.execution)]
        parts += [(s.step, s.forecast) for s in item.steps]
        for step, f in parts:
            rows.append({"workflow": item.workflow, "step": step, **(asdict(f) if f else {})})
    print_table(
        rows,
        ["workflow", "step", "seconds", "tasks", "model", "runs", "loo_mape", "baseline_loo_mape"],
        fmt={"seconds": _secs, "loo_mape": _pct, "baseline_loo_mape": _pct},
    )


@insights_app.command("anomalies")
def anomalies(
    days: Annotated[int, typer.Option(min=1, max=366)] = 30,
    workflow: WorkflowOpt = None,
    k: Annotated[float, typer.Option(min=0.1, help="Flag beyond k MADs")] = insights.DEFAULT_K,
    json_: JsonOpt = False,
) -> None:
    """Durations and failure rates far from their history."""
    with open_context() as ctx:
        result = insights.anomalies(ctx, local_operator(), days, workflow, k)
    if json_:
        print_json(result)
    else:
        print_table(result.items, ["at", "kind", "workflow", "step_id", "execution_id", "message"])


@insights_app.command("recommendations")
def recommendations(workflow: WorkflowOpt = None, json_: JsonOpt = False) -> None:
    """Recommendations with their evidence; applicable ones can be applied by id."""
    with open_context() as ctx:
        result = insights.recommendations(ctx, local_operator(), workflow)
    if json_:
        print_json(result)
        return
    print_table(result.items, ["id", "kind", "workflow", "applicable", "title"])
    for item in result.items:
        say(f"{item.id}: {item.rationale}")
    if result.applied:
        print_table(
            result.applied,
            ["recommendation_id", "workflow", "status", "applied_at", "applied_by", "title"],
            title="Applied",
        )


@insights_app.command("apply")
def apply(rec_id: str, json_: JsonOpt = False) -> None:
    """Apply a recommendation (a new version of its workflow)."""
    with open_context() as ctx:
        action = insights.apply_recommendation(ctx, local_operator(), rec_id)
    if json_:
        print_json(action)
    else:
        say(f"Applied {rec_id} to {action.workflow} (v{action.applied_version}): {action.title}")


@insights_app.command("rollback")
def rollback(rec_id: str, json_: JsonOpt = False) -> None:
    """Restore what an applied recommendation replaced."""
    with open_context() as ctx:
        action = insights.rollback_recommendation(ctx, local_operator(), rec_id)
    if json_:
        print_json(action)
    else:
        say(f"Rolled back {rec_id} on {action.workflow} (v{action.rolled_back_version})")


@insights_app.command("analytics")
def analytics(
    days: Annotated[int, typer.Option(min=1, max=366)] = 7,
    json_: JsonOpt = False,
) -> None:
    """Success rate, p50/p95 durations, throughput, per-source load and a daily trend."""
    with open_context() as ctx:
        result = insights.orchestration_analytics(ctx, local_operator(), days)
    if json_:
        print_json(result)
        return
    fmt = {
        "success_rate": _pct,
        "p50_seconds": _secs,
        "p95_seconds": _secs,
        "throughput": lambda v: "" if v is None else f"{v:.3g}/s",
    }
    cols = ["executions", "success_rate", "p50_seconds", "p95_seconds", "throughput"]
    print_table([result.overall], cols, title=f"Last {days} day(s)", fmt=fmt)
    print_table(result.workflows, ["workflow", *cols], title="Workflows", fmt=fmt)
    print_table(
        result.sources,
        [
            "source",
            "attempts",
            "failed",
            "error_rate",
            "p50_seconds",
            "p95_seconds",
            "peak_concurrency",
        ],
        title="Sources",
        fmt={"error_rate": _pct, "p50_seconds": _secs, "p95_seconds": _secs},
    )
    print_table(result.trend, ["day", *cols], title="Trend", fmt=fmt)
