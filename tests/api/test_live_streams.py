"""Live execution events from a real ``sounding serve``: SSE over HTTP and the WebSocket monitor
over a real socket (uvicorn needs a WebSocket implementation installed for the second).

Progress events are live only, so each test holds its workflow at a gate (a ``notify`` step
posting to a server the test runs) until it has subscribed: no sleep decides what is seen.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source


class Gate:
    """An HTTP endpoint on loopback whose answer waits until the test opens it."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.bodies: list[dict[str, Any]] = []
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                gate.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                gate.opened.wait(60)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.opened.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("live")
    proc = ServerProcess(home / "home")
    proc.start()
    httpx.post(
        f"{proc.base}/api/v1/sources",
        headers=proc.headers,
        json={"name": "shop", "url": sqlite_source(home / "shop.db")},
    ).raise_for_status()
    try:
        yield proc
    finally:
        proc.stop()


def gated_run(server: ServerProcess, name: str, gate: Gate) -> str:
    """Apply and start ``name``: gate → discover → four sleeping tasks; return the execution id."""
    flow = {
        "name": name,
        "steps": [
            {"id": "gate", "type": "notify", "config": {"url": gate.url, "timeout": 60}},
            {
                "id": "discover",
                "type": "discover",
                "depends_on": "gate",
                "config": {"source": "shop"},
            },
            {
                "id": "wait",
                "type": "sleep",
                "depends_on": "discover",
                "config": {"seconds": 0.05, "tasks": 4},
            },
        ],
    }
    base, auth = server.base, server.headers
    httpx.post(f"{base}/api/v1/orchestrations", headers=auth, json=flow).raise_for_status()
    run = httpx.post(f"{base}/api/v1/orchestrations/{name}/execute", headers=auth)
    run.raise_for_status()
    return str(run.json()["id"])


@pytest.mark.slow
def test_server_sent_events_from_a_real_server(server: ServerProcess) -> None:
    gate = Gate()
    try:
        execution_id = gated_run(server, "sse-flow", gate)
        url = f"{server.base}/api/v1/executions/{execution_id}/events"
        seen: list[dict[str, Any]] = []
        with httpx.stream("GET", url, headers=server.headers, timeout=60) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            for line in resp.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    gate.opened.set()  # subscribed and reading: let the workflow go on
    finally:
        gate.close()
    assert seen[-1]["kind"] == "execution_status" and seen[-1]["status"] == "completed"
    progress = [e for e in seen if e["kind"] == "progress" and e["step_id"] == "wait"]
    assert progress and progress[-1]["data"]["done"] == progress[-1]["data"]["total"] == 4
    assert {"percent", "eta_seconds"} <= set(progress[-1]["data"])
    assert [(b["workflow"], b["execution_id"]) for b in gate.bodies] == [("sse-flow", execution_id)]
    missing = httpx.get(f"{server.base}/api/v1/executions/nope/events", headers=server.headers)
    assert missing.status_code == 404

    # reconnecting (EventSource sends the last id) after the end: 204 at once, so the browser
    # stops; it used to stay open with keep-alives forever
    final = seen[-1]["seq"]
    started = time.monotonic()
    again = httpx.get(url, params={"after": final}, headers=server.headers, timeout=10)
    assert again.status_code == 204 and again.content == b""
    assert time.monotonic() - started < 5
    # from an earlier id: the events after it, ending with the final one
    stored = [e["seq"] for e in seen if e["seq"] is not None]  # progress is live only
    rest = httpx.get(url, params={"after": stored[-3]}, headers=server.headers, timeout=30)
    assert rest.status_code == 200
    ids = [int(line[4:]) for line in rest.text.splitlines() if line.startswith("id: ")]
    assert ids == stored[-2:]


@pytest.mark.slow
def test_websocket_monitor_over_a_real_socket(server: ServerProcess) -> None:
    gate = Gate()
    ws_base = server.base.replace("http://", "ws://")
    try:
        execution_id = gated_run(server, "ws-flow", gate)
        url = f"{ws_base}/api/v1/executions/{execution_id}/monitor?token={server.token}"
        events: list[dict[str, Any]] = []
        with connect(url, open_timeout=30) as ws:
            while True:
                msg = json.loads(ws.recv(timeout=60))
                events.append(msg)
                gate.opened.set()
                if msg["kind"] == "execution_status" and msg["status"] in ("completed", "failed"):
                    break
    finally:
        gate.close()
    assert events[-1]["status"] == "completed"
    assert any(e["kind"] == "progress" and e["step_id"] == "wait" for e in events)
    assert any(e["kind"] == "step_status" and e["step_id"] == "discover" for e in events)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/executions/nope/monitor?token={token}", 4404),
        ("/api/v1/executions/x/monitor", 4401),
    ],
)
def test_websocket_monitor_refuses_with_a_close_code(
    server: ServerProcess, path: str, code: int
) -> None:
    url = server.base.replace("http://", "ws://") + path.format(token=server.token)
    with pytest.raises(ConnectionClosed) as closed, connect(url, open_timeout=30) as ws:
        ws.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code
    assert closed.value.rcvd.reason  # the error message says why
