"""The execution monitor in Chromium: a 2,000-task run watched live, paused (no task starts
while paused, checked through the API), resumed to completion; another run cancelled from its
page; a viewer's page without controls. No console errors, axe on every state shown.

Workflows here are this module's own (names start with ``uiexec-b-``).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.site import Site, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TASKS = 2000


def _start(site: Site, seconds: float, concurrent: int) -> str:
    name = f"uiexec-b-{uuid.uuid4().hex[:8]}"
    steps = [
        {"id": "prepare", "type": "noop"},
        {
            "id": "scan_objects",
            "type": "sleep",
            "depends_on": ["prepare"],
            "config": {"seconds": seconds, "tasks": TASKS},
        },
        {"id": "report", "type": "noop", "depends_on": ["scan_objects"]},
    ]
    with httpx.Client(base_url=site.base, headers=site.server.headers, timeout=60) as api:
        applied = api.post(
            "/api/v1/orchestrations",
            json={"name": name, "steps": steps, "limits": {"max_concurrent": concurrent}},
        )
        assert applied.status_code == 201, applied.text
        started = api.post(f"/api/v1/orchestrations/{name}/execute")
        assert started.status_code == 202, started.text
    return str(started.json()["id"])


def _api_execution(site: Site, execution_id: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{site.base}/api/v1/executions/{execution_id}", headers=site.server.headers, timeout=30
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _step(found: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in found["steps"] if s["id"] == step_id)


def _done_cell(page: Any) -> int:
    text = page.inner_text("[data-step-row=scan_objects] [data-f=done]")
    return int(re.sub(r"\D", "", text) or 0)


def test_watch_pause_resume_a_2000_task_run_live(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    execution_id = _start(site, seconds=0.1, concurrent=16)  # about 13 s of work
    browser_login(page, site, "steward", f"/executions/{execution_id}")
    # live: the done count rises without a reload
    page.wait_for_function("() => (window.soundingExecution || {}).updates >= 2")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-step-row=scan_objects] [data-f=done]')"
        ".textContent.replace(/\\D/g, '')) > 0"
    )
    first = _done_cell(page)
    assert axe(page) == []
    screenshot(page, "running")
    page.click("button[data-action=pause]")
    page.wait_for_selector("#exec-status[data-status=paused]")  # at once, from the answer
    assert page.locator("button[data-action=resume]").is_visible()
    time.sleep(0.6)  # tasks that were running when it paused finish (0.1 s each)
    held = _api_execution(site, execution_id)
    assert held["status"] == "paused"
    done_paused = _step(held, "scan_objects")["tasks_done"]
    time.sleep(1.5)
    later = _api_execution(site, execution_id)
    assert later["status"] == "paused"
    assert _step(later, "scan_objects")["tasks_done"] == done_paused  # nothing started
    assert done_paused < TASKS
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-step-row=scan_objects] [data-f=done]')"
        ".textContent.replace(/\\D/g, '')) === n",
        arg=done_paused,
    )  # the page shows what the API says
    assert first <= done_paused
    screenshot(page, "paused", full_page=False)
    page.click("button[data-action=resume]")
    page.wait_for_selector("#exec-status[data-status=running]")
    page.wait_for_selector("#exec-status[data-status=completed]", timeout=45_000)
    final = _api_execution(site, execution_id)
    assert final["status"] == "completed"
    assert _done_cell(page) == TASKS == _step(final, "scan_objects")["tasks_done"]
    page.wait_for_function(
        "() => document.getElementById('task-count').textContent.indexOf('2,002') >= 0"
    )  # the task table caught up (2,000 + the two single-task steps)
    assert page.locator("#exec-tasks tbody tr").count() == 50  # one page, never all
    assert "Execution completed" in page.inner_text("#exec-log")
    status = page.evaluate("() => window.soundingExecution.status")
    assert status == "completed"
    assert page.locator("button[data-action=pause]").count() == 0
    assert axe(page) == []
    screenshot(page, "completed")


def test_cancel_a_run_from_its_page_and_a_viewer_sees_no_controls(
    page: Any, site: Site, screenshot: Callable[..., Path], axe: Callable[..., list[Any]]
) -> None:
    execution_id = _start(site, seconds=0.2, concurrent=4)
    browser_login(page, site, "steward", f"/executions/{execution_id}")
    page.wait_for_selector("#exec-status[data-status=running]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[data-action=cancel]")
    page.wait_for_selector("#exec-status[data-status=cancelled]")
    assert _api_execution(site, execution_id)["status"] == "cancelled"
    page.wait_for_selector("button[data-action=retry]")
    page.wait_for_function("() => document.getElementById('exec-live').textContent === 'finished'")
    screenshot(page, "cancelled", full_page=False)
    # the list shows it, filtered by status
    page.goto(f"{site.base}/executions?status=cancelled")
    assert page.locator(f"a[href='/executions/{execution_id}']").count() == 1
    assert axe(page) == []
    screenshot(page, "list", full_page=False)
    # a viewer: the same page without controls
    page.click("form[action='/logout'] button")
    browser_login(page, site, "viewer", f"/executions/{execution_id}")
    assert page.locator("button[data-action]").count() == 0
    assert page.get_attribute("#exec-status", "data-status") == "cancelled"
    assert axe(page) == []
