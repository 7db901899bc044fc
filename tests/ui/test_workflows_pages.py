"""The workflow and template pages over HTTP, against a real ``sounding serve`` on the demo
store: the list (schedule in words, next run, last execution, paging, the enabled switch),
the YAML editor (problems on their lines, nothing saved), the run form (typed parameters),
the template gallery (preview, create) and what a viewer may not do."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HTMX = {"HX-Request": "true"}


def _unique(prefix: str) -> str:
    return f"uiwf-{prefix}-{uuid.uuid4().hex[:8]}"


def _api(site: Site, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, f"{site.base}/api/v1{path}", headers=site.server.headers, timeout=30, **kwargs
    )


def _apply(site: Site, doc: dict[str, Any]) -> dict[str, Any]:
    answer = _api(site, "POST", "/orchestrations", json=doc)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _flow(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "steps": [
            {"id": "first", "type": "noop", "config": {"tasks": 2}},
            {"id": "second", "type": "noop", "depends_on": ["first"]},
        ],
        **extra,
    }


def _post(site: Site, client: httpx.Client, path: str, data: dict[str, str], **kw: Any) -> Any:
    token = site.csrf(client, "/workflows")
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def test_list_shows_schedule_in_words_next_run_and_last_execution(site: Site) -> None:
    prefix = _unique("list")
    _apply(site, _flow(f"{prefix}-a", schedule={"cron": "0 3 * * *", "timezone": "Europe/Paris"}))
    _apply(site, _flow(f"{prefix}-b", schedule="*/15 * * * *"))
    _apply(site, _flow(f"{prefix}-c"))
    run = _api(site, "POST", f"/orchestrations/{prefix}-c/execute", json={})
    assert run.status_code == 202, run.text
    client = site.as_user("steward")
    page = client.get("/workflows", params={"q": prefix})
    assert page.status_code == 200
    html = page.text
    assert "3 workflows" in html
    assert "daily at 03:00 Europe/Paris" in html
    assert "every 15 minutes" in html
    # a next run in the future for the scheduled ones; the run one links its execution
    assert len(re.findall(r"<time datetime=\"20\d\d-", html)) >= 3
    assert f'href="/executions/{run.json()["id"]}"' in html
    assert "never run" in html
    assert html.count('role="switch"') == 3
    assert 'href="/workflows/new"' in html


def test_list_is_paged_and_bounded(site: Site) -> None:
    prefix = _unique("page")
    for i in range(27):
        _apply(site, _flow(f"{prefix}-{i:02d}"))
    client = site.as_user("steward")
    first = client.get("/workflows", params={"q": prefix, "size": 25})
    assert first.status_code == 200
    assert "Page 1 of 2" in first.text
    assert f"{prefix}-24" in first.text and f"{prefix}-25" not in first.text
    second = client.get("/workflows", params={"q": prefix, "size": 25, "page": 2})
    assert f"{prefix}-25" in second.text and f"{prefix}-26" in second.text
    assert f"{prefix}-00" not in second.text
    for bad in ({"size": 7}, {"page": 0}, {"page": 10**9}):
        answer = client.get("/workflows", params=bad, headers={"Accept": "text/html"})
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)


def test_enabled_switch_needs_csrf_and_changes_the_workflow(site: Site) -> None:
    name = _unique("switch")
    _apply(site, _flow(name, schedule="0 4 * * *"))
    client = site.as_user("steward")
    forged = client.post(f"/workflows/{name}/enabled", data={"enabled": "false"}, headers=HTMX)
    assert forged.status_code == 403
    assert _api(site, "GET", f"/orchestrations/{name}").json()["enabled"] is True
    off = _post(site, client, f"/workflows/{name}/enabled", {"enabled": "false"}, headers=HTMX)
    assert off.status_code == 200, off.text
    assert 'aria-checked="false"' in off.text
    assert _api(site, "GET", f"/orchestrations/{name}").json()["enabled"] is False
    page = client.get(f"/workflows/{name}").text
    assert "paused (schedule off)" in page
    on = _post(site, client, f"/workflows/{name}/enabled", {"enabled": "true"}, headers=HTMX)
    assert 'aria-checked="true"' in on.text
    assert _api(site, "GET", f"/orchestrations/{name}").json()["enabled"] is True


CYCLE = """\
name: {name}
description: three steps in a ring
steps:
  - id: extract
    type: noop
    depends_on: [load]
  - id: transform
    type: noop
    depends_on:
      - extract
  - id: load
    type: noop
    depends_on:
      - transform
"""


def _error_lines(html: str) -> dict[int, str]:
    """Line number -> the problem shown under that line of the annotated YAML."""
    found = {}
    pattern = r'<li id="yaml-line-(\d+)" data-line="\d+" class="has-error">(.*?)</li>'
    for n, body in re.findall(pattern, html, re.S):
        found[int(n)] = re.sub(r"<[^>]+>", "", body)
    return found


def test_yaml_editor_places_a_cycle_on_its_line_and_saves_nothing(site: Site) -> None:
    name = _unique("cycle")
    client = site.as_user("steward")
    text = CYCLE.format(name=name)
    answer = _post(site, client, "/workflows/new", {"yaml": text})
    assert answer.status_code == 422
    lines = _error_lines(answer.text)
    assert lines, answer.text[:3000]
    (line, message), *_ = lines.items()
    assert "dependency cycle" in message
    # the reported dependency is on that line of the text sent
    assert text.splitlines()[line - 1].strip().startswith(("depends_on: [load]", "- "))
    assert "Nothing was saved" in answer.text
    assert text in answer.text.replace("&#39;", "'")  # the editor keeps what was typed
    assert _api(site, "GET", f"/orchestrations/{name}").status_code == 404
    fixed = text.replace("    depends_on: [load]\n", "")
    saved = _post(site, client, "/workflows/new", {"yaml": fixed})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/workflows/{name}?done=saved"
    stored = _api(site, "GET", f"/orchestrations/{name}").json()
    assert stored["steps"] == ["extract", "transform", "load"]
    page = client.get(saved.headers["location"])
    assert "Saved: version 1." in page.text
    assert 'id="dag-data"' in page.text and '"source": "extract"' in page.text


def test_editing_keeps_the_stored_version_on_error(site: Site) -> None:
    name = _unique("edit")
    _apply(site, _flow(name))
    client = site.as_user("steward")
    bad = f"name: {name}\nsteps:\n  - id: first\n    type: teleport\n"
    answer = _post(site, client, f"/workflows/{name}/yaml", {"yaml": bad})
    assert answer.status_code == 422
    assert 4 in _error_lines(answer.text)  # the type's line
    broken = _post(site, client, f"/workflows/{name}/yaml", {"yaml": "name: [\n"})
    assert broken.status_code == 422 and "not valid YAML" in broken.text
    renamed = _post(site, client, f"/workflows/{name}/yaml", {"yaml": f"name: other-{name}\n"})
    assert renamed.status_code == 422 and 1 in _error_lines(renamed.text)
    stored = _api(site, "GET", f"/orchestrations/{name}").json()
    assert stored["version"] == 1 and stored["steps"] == ["first", "second"]
    good = stored_yaml = client.get(f"/workflows/{name}").text
    assert "type: noop" in stored_yaml
    new = f"name: {name}\nsteps:\n  - id: only\n    type: noop\n"
    good = _post(site, client, f"/workflows/{name}/yaml", {"yaml": new})
    assert good.status_code == 303
    assert _api(site, "GET", f"/orchestrations/{name}").json()["version"] == 2


def test_run_form_types_parameters_from_defaults(site: Site) -> None:
    name = _unique("run")
    params = {"size": 10, "ratio": 0.5, "full": True, "tags": ["a", "b"], "label": "x"}
    _apply(site, _flow(name, params=params))
    client = site.as_user("steward")
    page = client.get(f"/workflows/{name}").text
    assert 'name="p.size" value="10"' in page and 'step="1"' in page
    assert 'name="p.ratio" value="0.5"' in page and 'step="any"' in page
    assert re.search(r'<select id="run-full" name="p.full"', page)
    assert 'name="p.tags" value="a, b"' in page
    bad = _post(site, client, f"/workflows/{name}/run", {"p.size": "ten", "p.full": "maybe"})
    assert bad.status_code == 422
    assert re.search(r'id="run-size-err">a whole number is needed<', bad.text)
    assert re.search(r'id="run-full-err">choose true or false<', bad.text)
    assert 'name="p.size" value="ten"' in bad.text  # the form keeps what was typed
    none = _api(site, "GET", "/executions", params={"workflow": name}).json()
    assert none["total"] == 0
    form = {"p.size": "7", "p.ratio": "2.5", "p.full": "false", "p.tags": "x, y ,z", "p.label": ""}
    ok = _post(site, client, f"/workflows/{name}/run", form)
    assert ok.status_code == 303, ok.text[:2000]
    execution_id = re.search(r"started=([^#&]+)", ok.headers["location"])
    assert execution_id
    started = _api(site, "GET", f"/executions/{execution_id.group(1)}").json()
    assert started["params"] == {
        "size": 7,
        "ratio": 2.5,
        "full": False,
        "tags": ["x", "y", "z"],
        "label": "x",  # left empty: the default
    }
    after = client.get(ok.headers["location"]).text
    assert f'href="/executions/{execution_id.group(1)}"' in after
    assert 'id="duration-chart"' in after and f"/insights/workflows/{name}/chart" in after


def _demo_source(site: Site) -> str:
    items = _api(site, "GET", "/sources").json()["items"]
    assert items
    return str(items[0]["name"])


def test_template_gallery_preview_and_create(site: Site) -> None:
    client = site.as_user("steward")
    gallery = client.get("/templates").text
    headings = re.findall(r'<h2 id="cat-\d+">([^<]+)</h2>', gallery)
    assert headings == [
        "Discovery",
        "Quality assessment",
        "Compliance scan",
        "Security audit",
        "Custom",
    ]
    assert 'id="form-data-discovery"' in gallery
    missing = client.get("/templates/data-discovery/preview", headers=HTMX)
    assert missing.status_code == 200 and "<code>source</code>: required" in missing.text
    source = _demo_source(site)
    name = _unique("tmpl")
    params = {"p.source": source, "p.name": name, "p.profile": "false", "p.per_source": "2"}
    preview = client.get("/templates/data-discovery/preview", params=params, headers=HTMX)
    assert f"Workflow <strong>{name}</strong>" in preview.text
    assert "3 steps: discover, profile, lineage" in preview.text
    assert _api(site, "GET", f"/orchestrations/{name}").status_code == 404  # nothing stored
    unknown = client.get(
        "/templates/data-discovery/preview", params={**params, "p.source": "nowhere"}
    )
    assert "nowhere" in unknown.text and "would not be accepted" in unknown.text
    bad = _post(site, client, "/templates/data-discovery", {**params, "p.per_source": "0"})
    assert bad.status_code == 422 and 'id="data-discovery-per_source-err"' in bad.text
    assert _api(site, "GET", f"/orchestrations/{name}").status_code == 404
    made = _post(site, client, "/templates/data-discovery", params)
    assert made.status_code == 303
    assert made.headers["location"] == f"/workflows/{name}?done=created"
    stored = _api(site, "GET", f"/orchestrations/{name}").json()
    assert stored["spec"]["params"] == {"profile": False}
    page = client.get(made.headers["location"]).text
    assert "Workflow created from the data-discovery template." in page
    # the run form's field comes from the template's schema (its description), typed boolean
    assert re.search(r'<select id="run-profile" name="p.profile"', page)
    assert "Default of the run parameter that turns profiling on or off" in page


def test_viewer_sees_pages_without_controls_and_forged_posts_get_403(site: Site) -> None:
    name = _unique("viewer")
    _apply(site, _flow(name, params={"size": 1}))
    viewer = site.as_user("viewer")
    listing = viewer.get("/workflows", params={"q": name})
    assert listing.status_code == 200 and name in listing.text
    assert 'role="switch"' not in listing.text and "/workflows/new" not in listing.text
    page = viewer.get(f"/workflows/{name}")
    assert page.status_code == 200
    assert "Run now" not in page.text and 'name="yaml"' not in page.text
    assert 'class="yaml-view"' in page.text  # the definition, read-only
    gallery = viewer.get("/templates").text
    assert "Create workflow" not in gallery and "Data discovery" in gallery
    token = site.csrf(viewer, "/workflows")
    for path, data in (
        (f"/workflows/{name}/run", {"p.size": "2"}),
        (f"/workflows/{name}/yaml", {"yaml": f"name: {name}\nsteps: []\n"}),
        (f"/workflows/{name}/enabled", {"enabled": "false"}),
        ("/workflows/new", {"yaml": "name: x\n"}),
        ("/templates/custom", {"p.name": "x", "p.callable": "a:b"}),
    ):
        answer = viewer.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 403, (path, answer.status_code)
    assert viewer.get("/workflows/new", headers={"Accept": "text/html"}).status_code == 403
    assert _api(site, "GET", "/executions", params={"workflow": name}).json()["total"] == 0
    stored = _api(site, "GET", f"/orchestrations/{name}").json()
    assert stored["version"] == 1 and stored["enabled"] is True


def test_unknown_workflow_and_template_are_404_pages(site: Site) -> None:
    client = site.as_user("steward")
    for path in ("/workflows/no-such-workflow-xyz", "/templates/no-such/preview"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 404
        assert "<html" in answer.text
