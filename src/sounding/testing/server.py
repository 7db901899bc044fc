"""`sounding serve` as a real child process, for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerExitedError(RuntimeError):
    """The server process ended before it answered /healthz."""

    def __init__(self, returncode: int) -> None:
        super().__init__(f"sounding serve exited with code {returncode} before answering")
        self.returncode = returncode


class ServerProcess:
    """Start, kill and restart a server on a home directory (SQLite store) and port."""

    def __init__(self, home: Path, port: int | None = None, env: dict[str, str] | None = None):
        self.home = home
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {}), "SOUNDING_HOME": str(home)}
        if env is None:
            self.env.pop("SOUNDING_DATABASE_URL", None)
        self.token = ""
        self.proc: subprocess.Popen[str] | None = None
        self.output: deque[str] = deque(maxlen=20_000)  # the server's last lines of output

    def start(self, timeout: float = 60) -> float:
        """Start and wait until /healthz answers; returns the seconds that took. A server that
        does not answer in ``timeout`` seconds is stopped before the error is raised (a
        parallel test run on a shared 2-core machine can take half a minute to start one)."""
        started = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "sounding.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = started + timeout
        assert self.proc.stdout is not None
        if not self.token:  # the bootstrap token is printed on the first start only
            while time.monotonic() < deadline and not self.token:
                line = self.proc.stdout.readline()
                if not line and self.proc.poll() is not None:
                    raise RuntimeError("sounding serve exited before printing its token")
                match = re.search(r"(snd_[\w-]+)", line)
                if match:
                    self.token = match.group(1)
        self._drain()
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    raise ServerExitedError(self.proc.returncode) from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sounding serve did not answer on {self.base} in {timeout} s")

    def _drain(self) -> None:
        """Read the server's output for as long as it runs, keeping the last lines: a pipe
        nobody reads fills up (64 KiB of warnings over a long test session) and the server
        then blocks on its next log line."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        stream = proc.stdout

        def read() -> None:  # until the server (and any child holding the pipe) exits
            with stream:
                for line in stream:
                    self.output.append(line)

        threading.Thread(target=read, name=f"server-output-{self.port}", daemon=True).start()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self._close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._close()

    def _close(self) -> None:
        # the output's reader closes the pipe when it reaches its end; closing it here, while
        # that thread reads, could wait on the reader for as long as a child holds the pipe
        self.proc = None
