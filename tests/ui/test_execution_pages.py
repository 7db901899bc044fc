"""The executions list and the execution monitor (``/executions``) over HTTP against the demo
server: bounded pages of tasks, the live stream's batching, the controls and who may use them.

Every workflow here is this module's own (names start with ``uiexec-``).
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from html import unescape
from typing import Any

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HTMX = {"HX-Request": "true"}


def _api(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.base, headers=site.server.headers, timeout=60)


def _run(site: Site, steps: list[dict[str, Any]], **extra: Any) -> tuple[str, str]:
    """Apply a workflow of ``steps`` under a new name and start it: (name, execution id)."""
    name = f"uiexec-{uuid.uuid4().hex[:8]}"
    with _api(site) as api:
        applied = api.post("/api/v1/orchestrations", json={"name": name, "steps": steps, **extra})
        assert applied.status_code == 201, applied.text
        started = api.post(f"/api/v1/orchestrations/{name}/execute")
        assert started.status_code == 202, started.text
    return name, str(started.json()["id"])


def _execution(site: Site, execution_id: str) -> dict[str, Any]:
    with _api(site) as api:
        answer = api.get(f"/api/v1/executions/{execution_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _wait(site: Site, execution_id: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = _execution(site, execution_id)
        if found["status"] in statuses or time.monotonic() > deadline:
            assert found["status"] in statuses, found["status"]
            return found
        time.sleep(0.05)


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _updates(client: httpx.Client, execution_id: str) -> list[tuple[float, dict[str, Any]]]:
    """Every ``update`` of the live stream until it ends, with its arrival time."""
    out = []
    with client.stream("GET", f"/executions/{execution_id}/live") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                out.append((time.monotonic(), json.loads(line[6:])))
    return out


def test_list_filters_and_links_to_the_execution(site: Site) -> None:
    name, execution_id = _run(site, [{"id": "only", "type": "noop"}])
    _wait(site, execution_id, {"completed"})
    client = site.as_user("viewer")
    page = client.get("/executions", params={"workflow": name})
    assert page.status_code == 200
    assert '<a href="/executions" aria-current="page">Executions</a>' in page.text
    assert f'href="/executions/{execution_id}"' in page.text
    assert "completed" in _text(page.text)
    other = client.get("/executions", params={"workflow": name, "status": "failed"})
    assert f"/executions/{execution_id}" not in other.text
    assert "No executions match these filters" in _text(other.text)
    bad = client.get("/executions", params={"status": "exploded"}, headers={"Accept": "text/html"})
    assert bad.status_code in (400, 422)
    assert "Unknown status" in _text(bad.text)
    assert client.get("/executions", params={"page": "0"}).status_code in (400, 422)
    missing = client.get("/executions/no-such-execution", headers={"Accept": "text/html"})
    assert missing.status_code == 404


def test_the_page_shows_steps_and_pages_the_tasks(site: Site) -> None:
    steps = [
        {"id": "prep", "type": "noop"},
        {"id": "fan", "type": "noop", "depends_on": ["prep"], "config": {"tasks": 120}},
    ]
    _, execution_id = _run(site, steps)
    _wait(site, execution_id, {"completed"})
    client = site.as_user("viewer")
    page = client.get(f"/executions/{execution_id}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "120 / 120" in text
    data = json.loads(re.search(r'id="exec-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert [n["id"] for n in data["nodes"]] == ["prep", "fan"]
    assert data["edges"] == [{"source": "prep", "target": "fan"}]
    assert data["nodes"][1]["y"] > data["nodes"][0]["y"]  # downstream below
    assert all(n["status"] == "completed" for n in data["nodes"])
    # 121 attempts: 50 a page, never all of them
    assert page.text.count('<td class="mono">') == 50
    assert "Page 1 of 3" in text
    last = client.get(f"/executions/{execution_id}/tasks", params={"tpage": 3}, headers=HTMX)
    assert last.status_code == 200
    assert last.text.count('<td class="mono">') == 21
    only_prep = client.get(
        f"/executions/{execution_id}/tasks", params={"step": "prep"}, headers=HTMX
    )
    assert only_prep.text.count('<td class="mono">') == 1
    none_failed = client.get(
        f"/executions/{execution_id}/tasks", params={"tstatus": "failed"}, headers=HTMX
    )
    assert "No task attempts with status failed" in _text(none_failed.text)
    bad = client.get(f"/executions/{execution_id}/tasks", params={"tpage": "x"}, headers=HTMX)
    assert bad.status_code in (400, 422)
    # without htmx the fragment's URL is the page with the same filters
    plain = client.get(f"/executions/{execution_id}/tasks", params={"tpage": 2})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/executions/{execution_id}?tpage=2"
    timeline = client.get(f"/executions/{execution_id}/timeline", headers=HTMX)
    assert timeline.status_code == 200
    assert timeline.text.count('class="g-bar st-completed"') >= 2 + 60  # steps + window
    assert "Execution completed" in text  # the event log's tail


def test_the_live_stream_is_batched_and_ends_with_the_final_figures(site: Site) -> None:
    steps = [
        {"id": "work", "type": "sleep", "config": {"seconds": 0.01, "tasks": 600}},
    ]
    _, execution_id = _run(site, steps, limits={"max_concurrent": 16})
    updates = _updates(site.as_user("viewer"), execution_id)
    first, last = updates[0][1], updates[-1][1]
    assert {s["id"] for s in first["steps"]} == {"work"}  # the first has every step
    assert last["final"] is True and last["status"] == "completed"
    final_work = [s for _, u in updates for s in u["steps"] if s["id"] == "work"][-1]
    assert final_work["done"] == 600
    assert len(updates) >= 3  # it was live: figures came while tasks ran
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(updates[1:])]
    # batched: at most 4 a second (0.25 s apart, less a little network jitter)
    assert all(gap > 0.2 for gap in gaps[:-1]), gaps
    dones = [s["done"] for _, u in updates for s in u["steps"] if s.get("done") is not None]
    assert dones == sorted(dones)


def test_controls_pause_resume_and_cancel_from_the_page(site: Site) -> None:
    steps = [{"id": "slow", "type": "sleep", "config": {"seconds": 0.05, "tasks": 400}}]
    _, execution_id = _run(site, steps, limits={"max_concurrent": 4})
    _wait(site, execution_id, {"running"})
    client = site.as_user("steward")
    page = client.get(f"/executions/{execution_id}")
    assert 'data-action="pause"' in page.text and 'data-action="cancel"' in page.text
    token = site.csrf(client, f"/executions/{execution_id}")
    headers = {**HTMX, "X-CSRF-Token": token}
    paused = client.post(f"/executions/{execution_id}/pause", headers=headers)
    assert paused.status_code == 200, paused.text
    assert 'data-status="paused"' in paused.text and 'data-action="resume"' in paused.text
    assert _execution(site, execution_id)["status"] == "paused"
    resumed = client.post(f"/executions/{execution_id}/resume", headers=headers)
    assert 'data-status="running"' in resumed.text
    cancelled = client.post(
        f"/executions/{execution_id}/cancel", data={"csrf_token": token}
    )  # a plain form: back to the page
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/executions/{execution_id}"
    assert _execution(site, execution_id)["status"] == "cancelled"
    again = client.get(f"/executions/{execution_id}")
    assert 'data-action="retry"' in again.text and 'data-action="pause"' not in again.text
    assert "Execution cancelled" in _text(again.text)
    unknown = client.post(f"/executions/{execution_id}/explode", headers=headers)
    assert unknown.status_code == 404


def test_rerun_from_failure_runs_the_failed_tasks_again(site: Site) -> None:
    config = {"seconds": 1, "tasks": 3}
    steps = [{"id": "flaky", "type": "sleep", "timeout": 0.05, "config": config}]
    _, execution_id = _run(site, steps)
    _wait(site, execution_id, {"failed"})
    client = site.as_user("steward")
    page = client.get(f"/executions/{execution_id}")
    assert 'data-action="retry"' in page.text
    failed = client.get(
        f"/executions/{execution_id}/tasks", params={"tstatus": "failed"}, headers=HTMX
    )
    assert failed.text.count('<td class="mono">') == 3
    assert failed.text.count('<span class="err">') == 3  # each row says why it failed
    token = site.csrf(client, f"/executions/{execution_id}")
    rerun = client.post(
        f"/executions/{execution_id}/retry", headers={**HTMX, "X-CSRF-Token": token}
    )
    assert rerun.status_code == 200, rerun.text
    assert re.search(r'data-status="(retrying|running|failed)"', rerun.text)
    _wait(site, execution_id, {"failed"})
    again = client.get(
        f"/executions/{execution_id}/tasks", params={"tstatus": "failed"}, headers=HTMX
    )
    assert again.text.count('<td class="mono">') == 6  # each task tried a second time


def test_viewers_see_no_controls_and_forged_posts_are_refused(site: Site) -> None:
    steps = [{"id": "slow", "type": "sleep", "config": {"seconds": 0.05, "tasks": 200}}]
    _, execution_id = _run(site, steps, limits={"max_concurrent": 2})
    _wait(site, execution_id, {"running"})
    viewer = site.as_user("viewer")
    page = viewer.get(f"/executions/{execution_id}")
    assert page.status_code == 200
    assert "data-action=" not in page.text and "exec-controls" not in page.text
    token = site.csrf(viewer, f"/executions/{execution_id}")
    for action in ("pause", "cancel"):
        forged = viewer.post(f"/executions/{execution_id}/{action}", data={"csrf_token": token})
        assert forged.status_code == 403, action
    steward = site.as_user("steward")
    no_token = steward.post(f"/executions/{execution_id}/cancel", headers=HTMX)
    assert no_token.status_code == 403
    assert _execution(site, execution_id)["status"] == "running"
    with _api(site) as api:
        api.post(f"/api/v1/executions/{execution_id}/cancel")
