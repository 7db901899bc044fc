"""Quality reports of an asset, a source or a domain: JSON, CSV and one self-contained HTML page.

The HTML page has no external resource (no CDN, no script): styles are inline and charts are
SVG drawn here, a bar per dimension and a line of the overall score over the last days.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from dataclasses import asdict
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.timestamps import to_text
from sounding.errors import InvalidInputError
from sounding.features.quality import repo
from sounding.features.quality import scores as quality_scores
from sounding.features.quality import service as quality
from sounding.governance.charts import Bar, bar_chart
from sounding.services.context import Context
from sounding.store.repos import utcnow

FORMATS = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
CSV_COLUMNS = (
    "source",
    "table",
    "column",
    "rule",
    "kind",
    "dimension",
    "severity",
    "passed",
    "failing_count",
    "total_count",
    "ratio",
    "checked_at",
    "error",
)


def report_data(
    ctx: Context,
    actor: Principal,
    *,
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
    days: int = 30,
) -> dict[str, Any]:
    """Scores with roll-ups, the trend, and every active rule with its newest result."""
    actor.require(Permission.CATALOG_READ)
    found = quality_scores.scores(ctx, actor, source=source, domain=domain, asset=asset)
    scores = asdict(found)  # the report's data is plain JSON
    trend = asdict(
        quality_scores.trend(ctx, actor, source=source, domain=domain, asset=asset, days=days)
    )
    ids = [t["id"] for t in _tables(ctx, scores)]
    with ctx.db.read() as conn:
        rules, _ = repo.list_rules(conn, asset_ids=ids, status="active")
        latest = repo.latest_results(conn, [r["id"] for r in rules])
    shown = quality.public_results(
        ctx,
        actor,
        [
            {**latest[r["id"]], "column_name": r["column_name"], "rule": r["name"]}
            for r in rules
            if r["id"] in latest
        ],
    )
    by_rule = {s.rule_id: asdict(s) for s in shown}
    items = []
    for r in rules:
        res = by_rule.get(r["id"], {})
        items.append(
            {
                **asdict(quality.public_rule(r)),
                "result": {
                    k: res.get(k)
                    for k in (
                        "passed",
                        "failing_count",
                        "total_count",
                        "ratio",
                        "observed",
                        "examples",
                        "error",
                        "created_at",
                    )
                }
                if res
                else None,
            }
        )
    return {
        "generated_at": utcnow(),
        "scope": scores["scope"],
        "summary": {
            "tables_in_scope": scores["tables_in_scope"],
            "tables_scored": scores["tables_scored"],
            "rules": len(items),
            "failing_rules": sum(1 for i in items if (i["result"] or {}).get("passed") is False),
        },
        "scores": scores["scores"],
        "tables": list(scores["tables"]),
        "schemas": list(scores["schemas"]),
        "sources": list(scores["sources"]),
        "domains": list(scores["domains"]),
        "trend": list(trend["points"]),
        "rules": items,
    }


def _tables(ctx: Context, scores: dict[str, Any]) -> list[dict[str, Any]]:
    scope = scores["scope"]
    with ctx.db.read() as conn:
        if "asset" in scope:
            return [t for t in repo.scope_tables(conn) if t["urn"] == scope["asset"]]
        if "domain" in scope:
            return repo.scope_tables(conn, domain=scope["domain"])
        tables = repo.scope_tables(conn)
    if "source" in scope:
        return [t for t in tables if t["source"] == scope["source"]]
    return tables


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, default=to_text, indent=2, ensure_ascii=False)
    if fmt == "csv":
        return render_csv(data)
    if fmt == "html":
        return render_html(data)
    raise InvalidInputError(f"Unknown format {fmt!r}; choose json, csv or html", field="format")


def report(
    ctx: Context,
    actor: Principal,
    fmt: str,
    *,
    source: str | None = None,
    domain: str | None = None,
    asset: str | None = None,
    days: int = 30,
) -> tuple[str, str]:
    """(media type, text) of the report in ``fmt``."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"Unknown format {fmt!r}; choose json, csv or html", field="format")
    data = report_data(ctx, actor, source=source, domain=domain, asset=asset, days=days)
    return FORMATS[fmt], render(data, fmt)


def render_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in data["rules"]:
        res = r["result"] or {}
        created = res.get("created_at")
        writer.writerow(
            [
                r["source"],
                r["qualified_name"],
                r["column"] or "",
                r["name"],
                r["kind"],
                r["dimension"],
                r["severity"],
                "" if res.get("passed") is None else str(res["passed"]).lower(),
                _blank(res.get("failing_count")),
                _blank(res.get("total_count")),
                _blank(res.get("ratio")),
                to_text(created) if created is not None else "",
                res.get("error") or "",
            ]
        )
    return out.getvalue()


def _blank(value: Any) -> str:
    return "" if value is None else str(value)


# --- HTML -----------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f5f5f5}.pass{color:#1a7f37}.fail{color:#c62828}
.err{color:#8a6d00}.num{text-align:right}.muted{color:#777}
"""


def percent(value: Any) -> str:
    """One decimal, rounded down: 99.97 % shows as 99.9 %, so only a clean score reads 100 %."""
    return "" if value is None else f"{math.floor(float(value) * 1000 + 1e-9) / 10:.1f}%"


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _example(item: dict[str, Any]) -> str:
    """``customer_id=9: NULL`` (key and value), a duplicate value with its count, or a row."""
    if "row" in item:
        return ", ".join(f"{k}={_cell(v)}" for k, v in item["row"].items())
    value = _cell(item.get("value"))
    if "count" in item:
        return f"{value} \u00d7{item['count']}"
    key = ", ".join(f"{k}={_cell(v)}" for k, v in (item.get("key") or {}).items())
    return f"{key}: {value}" if key else value


def _observed(observed: dict[str, Any] | None) -> str:
    """What a table-level rule saw: the newest timestamp and its age, or the row counts."""
    observed = observed or {}
    if observed.get("age_seconds") is not None:
        age = float(observed["age_seconds"]) / 86400
        limit = float(observed.get("max_age_seconds") or 0) / 86400
        return f"newest {observed.get('latest')}: {age:.1f} days old (max {limit:g} days)"
    if observed.get("row_count") is not None:
        parts = [f"{observed['row_count']} rows"]
        if observed.get("previous") is not None:
            parts.append(f"{observed['previous']} at the last run")
        return ", ".join(parts)
    return ""


def _bars(scores: dict[str, float]) -> str:
    """A horizontal bar per dimension (and overall), 0..100%."""
    keys = [k for k in (*quality_scores.DIMENSIONS, "overall") if k in scores]
    if not keys:
        return '<p class="muted">No scores yet: run the rules first.</p>'
    bars = [
        Bar(key, float(scores[key]), percent(scores[key]), _score_color(float(scores[key])))
        for key in keys
    ]
    return bar_chart(bars, top=1.0, title="Scores by dimension")


def _score_color(value: float) -> str:
    return "#1a7f37" if value >= 0.95 else "#d99a00" if value >= 0.8 else "#c62828"


def _line(points: list[dict[str, Any]]) -> str:
    """The overall score per day as a polyline, 0..100% high."""
    if not points:
        return '<p class="muted">No history yet.</p>'
    width, height, pad = 640, 180, 30
    n = len(points)
    step = (width - 2 * pad) / max(n - 1, 1)
    coords = [
        (pad + i * step, height - pad - float(p["score"]) * (height - 2 * pad))
        for i, p in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5fbf">'
        f"<title>{html.escape(p['date'])}: {percent(p['score'])}</title></circle>"
        for (x, y), p in zip(coords, points, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        'aria-label="Overall score over time">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#999"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="2" y="{pad + 4}" font-size="10">100%</text>'
        f'<text x="8" y="{height - pad + 4}" font-size="10">0%</text>'
        f'<polyline points="{path}" fill="none" stroke="#1f5fbf" stroke-width="2"/>{dots}'
        f'<text x="{pad}" y="{height - 8}" font-size="10">{html.escape(points[0]["date"])}</text>'
        f'<text x="{width - pad - 60}" y="{height - 8}" font-size="10">'
        f"{html.escape(points[-1]['date'])}</text></svg>"
    )


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _rules_table(rules: list[dict[str, Any]]) -> str:
    head = _row(
        [
            f"<th>{h}</th>"
            for h in (
                "table",
                "rule",
                "dimension",
                "result",
                "failing",
                "rows",
                "examples / observed",
            )
        ]
    )
    body = []
    for r in rules:
        res = r["result"] or {}
        passed = res.get("passed")
        state = (
            ('<span class="err">error</span>' if res.get("error") else "not run")
            if passed is None
            else '<span class="pass">pass</span>'
            if passed
            else '<span class="fail">fail</span>'
        )
        examples = "; ".join(_example(e) for e in res.get("examples") or [])
        detail = html.escape(examples or res.get("error") or _observed(res.get("observed")))
        body.append(
            _row(
                [
                    f"<td>{html.escape(r['qualified_name'] or '')}</td>",
                    f"<td>{html.escape(r['name'])}</td>",
                    f"<td>{html.escape(r['dimension'])}</td>",
                    f"<td>{state}</td>",
                    f'<td class="num">{_blank(res.get("failing_count"))}</td>',
                    f'<td class="num">{_blank(res.get("total_count"))}</td>',
                    f"<td>{detail}</td>",
                ]
            )
        )
    return f"<table>{head}{''.join(body)}</table>"


def _groups_table(title: str, groups: list[dict[str, Any]], name_key: str) -> str:
    if not groups:
        return ""
    head = _row(
        [f"<th>{title}</th>"] + [f"<th>{d}</th>" for d in (*quality_scores.DIMENSIONS, "overall")]
    )
    rows = [
        _row(
            [f"<td>{html.escape(str(g[name_key]))}</td>"]
            + [
                f'<td class="num">{percent(g["scores"].get(d))}</td>'
                for d in (*quality_scores.DIMENSIONS, "overall")
            ]
        )
        for g in groups
    ]
    return f"<h2>{title.capitalize()}s</h2><table>{head}{''.join(rows)}</table>"


def render_html(data: dict[str, Any]) -> str:
    scope = ", ".join(f"{k} {v}" for k, v in data["scope"].items() if v is not True) or "all"
    title = f"Data quality report: {scope}"
    summary = data["summary"]
    generated = to_text(data["generated_at"])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="muted">Generated {html.escape(generated)} by Sounding. '
        f"{summary['tables_scored']} of {summary['tables_in_scope']} tables scored; "
        f"{summary['failing_rules']} of {summary['rules']} rules failing.</p>"
        f"<h2>Scores by dimension</h2>{_bars(data['scores'])}"
        f"<h2>Overall score, last {len(data['trend'])} days with data</h2>{_line(data['trend'])}"
        + _groups_table(
            "table", [{**t, "name": t["qualified_name"]} for t in data["tables"]], "name"
        )
        + _groups_table("schema", data["schemas"], "name")
        + _groups_table("domain", data["domains"], "name")
        + f"<h2>Rules</h2>{_rules_table(data['rules'])}</body></html>"
    )
