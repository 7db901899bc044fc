"""Cost of the delivery outbox (issue 19, channels and delivery).

A fresh SQLite store, one webhook channel (signed, rate 600/min: a burst of 600) pointing at a
local HTTP receiver in this process. Measures:

- ``enqueue_ms``: ``delivery.enqueue`` of ``--messages`` new messages in one transaction;
- ``enqueue_known_ms``: the same messages again (all known: nothing written);
- ``sends_per_s``: the delivery worker sending them (one ``run_once`` batch after another),
  each signed, POSTed and recorded as delivered.

    PYTHONPATH=src .venv/bin/python bench/delivery.py [--messages 500]

Prints one JSON line, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.services import delivery, delivery_channels
from sounding.services.context import build_context
from sounding.services.delivery import OutgoingMessage
from sounding.services.delivery_channels import ChannelInput
from sounding.services.delivery_worker import DeliveryWorker


class _Counter(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would
    disable_nagle_algorithm = True  # headers and body go out in two writes
    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a keep-alive connection the client closed at the end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    server = _Server(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    home = Path(tempfile.mkdtemp()) / "home"
    ctx = build_context(Settings(home=home, secret_key=Fernet.generate_key().decode()))
    try:
        signing = "bench-signing-key"
        hook = ChannelInput(kind="webhook", url=url, secret=signing, rate_per_minute=600)
        delivery_channels.create_channel(ctx, Principal("bench", Role.ADMIN), "hook", hook)
        messages = [
            OutgoingMessage("hook", f"event-{i}", "Schema changed", "text", {"i": i})
            for i in range(args.messages)
        ]
        started = time.perf_counter()
        with ctx.db.write() as conn:
            added = delivery.enqueue(conn, messages)
        enqueue_s = time.perf_counter() - started
        started = time.perf_counter()
        with ctx.db.write() as conn:
            again = delivery.enqueue(conn, messages)
        known_s = time.perf_counter() - started
        worker = ctx.part(DeliveryWorker)
        started = time.perf_counter()
        while worker.run_once():
            pass
        send_s = time.perf_counter() - started
    finally:
        ctx.close()
        server.shutdown()
    assert added == args.messages and again == 0 and _Counter.received == args.messages
    print(
        json.dumps(
            {
                "bench": "delivery",
                "messages": args.messages,
                "enqueue_ms": round(enqueue_s * 1000, 1),
                "enqueue_known_ms": round(known_s * 1000, 1),
                "sends_per_s": round(args.messages / send_s, 1),
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
