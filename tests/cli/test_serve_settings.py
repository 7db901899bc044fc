"""``sounding serve`` as started from a shell: where it listens comes from SOUNDING_HOST /
SOUNDING_PORT unless ``--host`` / ``--port`` say otherwise, and it always says how an admin
gets a token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sounding.testing.server import free_port


def _serve(home: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if k != "SOUNDING_DATABASE_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "sounding.cli", "serve", *args],
        env={**environ, "SOUNDING_HOME": str(home), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _lines_until_listening(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if "Sounding is serving on" in line:
            return lines
    raise AssertionError(f"serve exited ({proc.wait()}): {lines}")


def _answers(port: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.05)
    return False


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)
    assert proc.stdout is not None
    proc.stdout.close()


def test_serve_listens_where_the_settings_say_and_tells_how_to_get_a_token(
    tmp_path: Path,
) -> None:
    port, other = free_port(), free_port()
    env = {"SOUNDING_HOST": "127.0.0.1", "SOUNDING_PORT": str(port)}
    first = _serve(tmp_path / "home", env=env)
    try:
        lines = _lines_until_listening(first)
        assert any("Its API token (shown once): snd_" in line for line in lines)
        assert f"http://127.0.0.1:{port}" in lines[-1]
        assert _answers(port)
    finally:
        _stop(first)
    again = _serve(tmp_path / "home", "--port", str(other), env=env)  # the option wins
    try:
        lines = _lines_until_listening(again)
        assert not any("snd_" in line for line in lines)
        assert any("sounding token create USER" in line for line in lines), lines
        assert f"http://127.0.0.1:{other}" in lines[-1]
        assert _answers(other)
    finally:
        _stop(again)
