"""The lineage explorer's "whole graph" view at 5,000 nodes / 6,000 edges: server layout, page
time, first render in headless Chromium, and whether panning still responds.

Writes a synthetic connected lineage graph (``sounding.testing.lineage_graph``: 10 layers of
500 tables) into a fresh store, then:

1. **server layout**: ``lineage_explorer.explore(depth=None)`` in-process, the layout cache
   cleared before each run; ``layout_ms`` is the layout plus the cytoscape elements (what the
   ``preset`` layout draws), ``explore_ms`` the whole call (graph walk and rows included);
2. **page**: ``/lineage?focus=...&depth=max`` through a real ``sounding serve``, its own time
   from the ``Server-Timing`` header (the layout is cached there after the first request);
3. **first render**: Debian's Chromium opens that page; the time from navigation start to
   cytoscape's first frame (``#cy[data-ready]``, set on its first ``render`` event);
4. **panning**: a mouse drag across the graph must move the view, and 60 animation frames
   of panning are timed (``pan_frame_ms``: their p50 and worst interval).

    .venv/bin/python bench/ui_lineage.py [--nodes 5000 --edges 6000 --runs 10]

The in-process calls of step 1 each start from a collected heap (``gc.collect()`` before the
timer, as ``timeit`` keeps collections out of what it times): a full collection owed by the
graph's writing otherwise lands in one of the timed calls, and costs more the more objects the
process has imported, whatever the call itself does. ``bench/compare.py`` runs this script
against an older tree's ``src`` too.

Goals (issue 14): layout ≤ 200 ms, first render ≤ 3 s, panning responds. One JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.ui.site import _cli  # noqa: E402

from sounding.config import Settings  # noqa: E402
from sounding.domain.auth import Principal, Role  # noqa: E402
from sounding.lineage import layout  # noqa: E402
from sounding.services import lineage_explorer  # noqa: E402
from sounding.services.context import build_context  # noqa: E402
from sounding.testing.lineage_graph import populate  # noqa: E402
from sounding.testing.server import ServerProcess  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
PASSWORD = "bench-pass-1"  # noqa: S105 (a throwaway user of a temporary store)
TIMING = re.compile(r"app;dur=([0-9.]+)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def server_layout(home: Path, nodes: int, edges: int, runs: int) -> tuple[str, dict[str, Any]]:
    ctx = build_context(Settings(home=home))
    who = Principal("bench", Role.ADMIN)
    try:
        log(f"writing a {nodes:,}-node / {edges:,}-edge lineage graph ...")
        layers = populate(ctx, who, nodes=nodes, edges=edges)
        focus = str(layers[len(layers) // 2][0])
        layout_ms, explore_ms, explore_cpu_ms, layout_cpu_ms = [], [], [], []
        graph = None
        for _ in range(runs):
            layout.clear_cache()
            gc.collect()  # each call from a collected heap: see the module's docstring
            started, cpu = time.perf_counter(), time.process_time()
            graph = lineage_explorer.explore(ctx, who, focus, depth=None)
            explore_ms.append((time.perf_counter() - started) * 1000)
            explore_cpu_ms.append((time.process_time() - cpu) * 1000)
            layout_ms.append(graph.layout_ms)
            # the layout alone again, uncached, in CPU time (the machine is shared)
            layout.clear_cache()
            gc.collect()
            cpu = time.process_time()
            lineage_explorer.lay_out(graph)
            layout_cpu_ms.append((time.process_time() - cpu) * 1000)
        assert graph is not None
        drawn = {
            "drawn_nodes": len(graph.nodes),
            "drawn_edges": len(graph.edges),
            "truncated": graph.truncated,
            "layout_ms_p50": quantile(layout_ms, 0.5),
            "layout_ms_max": quantile(layout_ms, 1.0),
            "layout_cpu_ms_p50": quantile(layout_cpu_ms, 0.5),
            "explore_ms_p50": quantile(explore_ms, 0.5),
            "explore_cpu_ms_p50": quantile(explore_cpu_ms, 0.5),
        }
    finally:
        ctx.close()
    return focus, drawn


def page_times(server: ServerProcess, path: str, runs: int) -> dict[str, Any]:
    client = httpx.Client(base_url=server.base, timeout=120)
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD, "next": "/"})
    assert answer.status_code == 303, answer.text[:300]
    server_ms, size = [], 0
    for _ in range(runs):
        page = client.get(path)
        assert page.status_code == 200, page.text[:300]
        size = len(page.content)
        match = TIMING.search(page.headers.get("server-timing", ""))
        if match:
            server_ms.append(float(match.group(1)))
    client.close()
    return {
        "page_server_ms_first": round(server_ms[0], 1),
        "page_server_ms_p50": quantile(server_ms[1:] or server_ms, 0.5),
        "page_bytes": size,
    }


def browser(server: ServerProcess, path: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    args = ["--disable-dev-shm-usage", "--disable-gpu"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server.base}/login")
        page.fill("#username", "bench")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.base}/")
        renders: list[float] = []
        steps: list[dict[str, int]] = []
        busy: list[float] = []
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def task_ms() -> float:
            metrics = cdp.send("Performance.getMetrics")["metrics"]
            return 1000 * next(m["value"] for m in metrics if m["name"] == "TaskDuration")

        for _ in range(3):
            page.goto(f"{server.base}{path}", wait_until="commit")
            page.wait_for_selector("#cy[data-ready]", timeout=120_000)
            busy.append(task_ms())  # the renderer's main thread, since this page began
            renders.append(page.evaluate("() => window.soundingLineage.state.firstRenderMs"))
            marks = page.evaluate(
                """() => {
                    const m = window.soundingLineage.marks;
                    const nav = performance.getEntriesByType("navigation")[0];
                    return {html_loaded: nav.responseEnd, script_start: m.start,
                            parsed: m.parsed, cytoscape_created: m.created,
                            fitted: m.fitted, first_frame: m.rendered};
                }"""
            )
            steps.append({k: round(v) for k, v in marks.items()})
        drawn = page.evaluate("() => window.soundingLineage.cy.elements().length")
        box = page.locator("#cy").bounding_box()
        before = page.evaluate("() => window.soundingLineage.cy.pan()")
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        started = time.perf_counter()
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 200, y + 100, steps=10)
        page.mouse.up()
        drag_ms = (time.perf_counter() - started) * 1000
        after = page.evaluate("() => window.soundingLineage.cy.pan()")
        moved = abs(after["x"] - before["x"]) + abs(after["y"] - before["y"])
        frames: list[float] = page.evaluate(
            """() => new Promise((resolve) => {
                const cy = window.soundingLineage.cy;
                const times = [];
                let last = performance.now();
                function step(now) {
                    times.push(now - last); last = now;
                    cy.panBy({x: 4, y: 2});
                    if (times.length < 61) requestAnimationFrame(step);
                    else resolve(times.slice(1));
                }
                requestAnimationFrame(step);
            })"""
        )
        chromium.close()
    return {
        "browser_elements": drawn,
        "first_render_ms": round(min(renders)),
        "first_render_ms_runs": [round(r) for r in renders],
        "first_render_steps_ms": steps[renders.index(min(renders))],
        "first_render_main_thread_ms": round(busy[renders.index(min(renders))]),
        "pan_responds": moved > 100,
        "drag_ms": round(drag_ms),
        "pan_frame_ms_p50": quantile(frames, 0.5),
        "pan_frame_ms_max": quantile(frames, 1.0),
        "browser_errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        focus, drawn = server_layout(home, args.nodes, args.edges, args.runs)
        _cli(
            home, "user", "create", "bench", "--role", "viewer", "--password-stdin", stdin=PASSWORD
        )
        server = ServerProcess(home)
        server.token = "unused"  # noqa: S105 (a user exists already: no bootstrap token)
        server.start(timeout=120)
        try:
            path = f"/lineage?focus={focus}&depth=max"
            log("timing the page ...")
            pages = page_times(server, path, max(3, args.runs // 2))
            log("opening it in Chromium ...")
            seen = browser(server, path)
        finally:
            server.stop()
    out = {
        "bench": "ui_lineage",
        "load_average": round(os.getloadavg()[0], 1),
        "nodes": args.nodes,
        "edges": args.edges,
        **drawn,
        **pages,
        **seen,
        "goals": {"layout_ms": 200, "first_render_ms": 3000, "pan_responds": True},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
