"""Render a compliance report (the dict the services build) as JSON, CSV or HTML.

The HTML page is self-contained: inline CSS and an inline SVG chart, no script, no CDN, so it
can be mailed or archived as evidence.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from html import escape
from typing import Any

from sounding.features.compliance.records import ComplianceReport
from sounding.governance.charts import Bar, bar_chart

SEVERITY_COLORS = {"critical": "#8b0000", "high": "#d9480f", "medium": "#f59f00", "low": "#74b816"}
CSV_COLUMNS = (
    "framework",
    "requirement_id",
    "requirement",
    "reference",
    "severity",
    "status",
    "source",
    "urn",
    "failed_controls",
    "evidence",
    "justification",
    "decided_by",
    "first_seen",
    "last_seen",
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, default=_default, indent=2, ensure_ascii=False)


def to_csv(report: dict[str, Any]) -> str:
    """One row per open or accepted finding, evidence as compact JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in report["findings"]:
        row = {
            **f,
            "failed_controls": "; ".join(f["evidence"].get("failed", [])),
            "evidence": json.dumps(f["evidence"], default=_default, sort_keys=True),
        }
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return _default(value) if isinstance(value, datetime | date) else str(value)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def severity_chart(counts: dict[str, int]) -> str:
    """A horizontal bar chart of open findings by severity, as inline SVG."""
    bars = [
        Bar(severity, n, str(n), SEVERITY_COLORS.get(severity, "#868e96"))
        for severity, n in counts.items()
    ]
    return bar_chart(bars, top=max(counts.values(), default=0), title="Open findings by severity")


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#212529}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f1f3f5}.kpi{display:inline-block;margin-right:2rem;font-size:1.4rem}
.kpi small{display:block;font-size:.8rem;color:#868e96}code{font-size:12px}
"""


def to_html(report: dict[str, Any]) -> str:
    fw = report["framework"]
    reqs = "".join(
        f"<tr><td>{escape(r['id'])}</td><td>{escape(r['title'])}</td>"
        f"<td>{escape(r['reference'])}</td><td>{escape(r['severity'])}</td>"
        f"<td>{r['assets_in_scope']}</td><td>{r['open']}</td><td>{r['accepted']}</td>"
        f"<td>{_pct(r['coverage'])}</td></tr>"
        for r in report["requirements"]
    )
    findings = "".join(
        f"<tr><td>{f['id']}</td><td>{escape(f['requirement_id'])}</td>"
        f"<td>{escape(f['severity'])}</td><td>{escape(f['status'])}</td>"
        f"<td>{escape(f['urn'])}</td>"
        f"<td>{escape(', '.join(f['evidence'].get('failed', [])))}</td>"
        f"<td><code>{escape(json.dumps(f['evidence'], default=_default, sort_keys=True))}</code>"
        f"</td><td>{escape(f['justification'] or '')}</td></tr>"
        for f in report["findings"]
    )
    last = report["last_evaluation"]
    evaluated = f"evaluation #{last['id']} at {_cell(last['finished_at'])}" if last else "never"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(fw["name"])} compliance report</title><style>{_CSS}</style></head>
<body>
<h1>{escape(fw["name"])} <small>v{escape(fw["version"])}</small></h1>
<p>Generated {_cell(report["generated_at"])}; last {evaluated}.
Source: {escape(report["source"] or "all sources")}.</p>
<div class="kpi">{_pct(report["coverage"])}<small>coverage (in-scope assets without open
findings)</small></div>
<div class="kpi">{report["compliant_assets"]} / {report["assets_in_scope"]}<small>compliant /
in scope</small></div>
<div class="kpi">{sum(report["open_by_severity"].values())}<small>open findings</small></div>
<h2>Open findings by severity</h2>
{severity_chart(report["open_by_severity"])}
<h2>Requirements</h2>
<table><tr><th>Requirement</th><th>Title</th><th>Reference</th><th>Severity</th>
<th>In scope</th><th>Open</th><th>Accepted</th><th>Coverage</th></tr>{reqs}</table>
<h2>Findings (open and accepted) with evidence</h2>
<table><tr><th>#</th><th>Requirement</th><th>Severity</th><th>Status</th><th>Asset</th>
<th>Failed controls</th><th>Evidence</th><th>Justification</th></tr>{findings}</table>
</body></html>
"""


MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "html": "text/html"}


def render(report: ComplianceReport | Mapping[str, Any], fmt: str) -> tuple[str, str]:
    """``(media type, text)`` of the report in ``json``, ``csv`` or ``html``: a report the
    service built, or its plain JSON form (one read back from ``GET .../report``)."""
    # the renderers write plain JSON data
    data = dict(report) if isinstance(report, Mapping) else asdict(report)
    data["requirements"] = list(data["requirements"])
    data["findings"] = list(data["findings"])
    text = {"json": to_json, "csv": to_csv, "html": to_html}[fmt](data)
    return MEDIA_TYPES[fmt], text
