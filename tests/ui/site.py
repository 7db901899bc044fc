"""A real ``sounding serve`` on the demo store, with a logged-in browser-less client per role:
what the UI's HTTP tests (and the browser tests) run against."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess

PASSWORDS = {"steward": "steward-pass-1", "viewer": "viewer-pass-1"}
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def _cli(home: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args],
        env={
            **{k: v for k, v in os.environ.items() if k != "SOUNDING_DATABASE_URL"},
            "SOUNDING_HOME": str(home),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        },
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def build_demo(home: Path) -> tuple[str, str]:
    """``sounding demo --no-serve`` into ``home`` plus a steward and a viewer with passwords;
    returns the admin's password and API token."""
    out = _cli(home, "demo", "--no-serve", "--home", str(home))
    password = re.search(r"Web UI login: admin / (\S+)", out)
    token = re.search(r"Admin API token: (snd_[\w-]+)", out)
    assert password and token, out
    for role, secret in PASSWORDS.items():
        _cli(home, "user", "create", role, "--role", role, "--password-stdin", stdin=secret + "\n")
    return password.group(1), token.group(1)


def demo_copy(tmp_path_factory: pytest.TempPathFactory, home: Path) -> tuple[str, str]:
    """A copy of the demo store (built once a run) in ``home``: the admin's password and token.

    Under pytest-xdist every worker has its own ``site`` server; the first worker to get here
    builds the demo into the run's shared temporary directory (the workers' parent) under a
    file lock, the others wait for it and copy it (a copy takes a second, a build half a
    minute). The copies' sources read the one warehouse, which no test writes."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = shared / "ui-demo-built"
    with (shared / "ui-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (built / "credentials.json").exists():
            shutil.rmtree(built, ignore_errors=True)
            password, token = build_demo(built / "home")
            (built / "credentials.json").write_text(json.dumps([password, token]))
    shutil.rmtree(home, ignore_errors=True)  # a fresh tmp dir or none yet
    shutil.copytree(built / "home", home, symlinks=True)
    password, token = json.loads((built / "credentials.json").read_text())
    return str(password), str(token)


@dataclass
class Site:
    server: ServerProcess
    passwords: dict[str, str]
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    opened: list[httpx.Client] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.server.base

    def login(self, user: str, password: str | None = None) -> httpx.Client:
        """A new client logged in as ``user`` (its cookie jar holds the session)."""
        # pooled connections idle for 2 s are dropped: the server closes its keep-alive
        # connections after 5 s, and a request sent just as it does fails with a reset
        limits = httpx.Limits(keepalive_expiry=2)
        client = httpx.Client(base_url=self.base, follow_redirects=False, timeout=30, limits=limits)
        self.opened.append(client)  # closed with the site
        answer = client.post(
            "/login",
            data={"username": user, "password": password or self.passwords[user], "next": "/"},
        )
        assert answer.status_code == 303, (answer.status_code, answer.text[:500])
        return client

    def as_user(self, user: str) -> httpx.Client:
        """A logged-in client per user, kept for the session of tests."""
        if user not in self.clients:
            self.clients[user] = self.login(user)
        return self.clients[user]

    def csrf(self, client: httpx.Client, path: str = "/") -> str:
        match = CSRF_RE.search(client.get(path).text)
        assert match and match.group(1), "no CSRF token on the page"
        return match.group(1)

    def close(self) -> None:
        for client in self.opened:
            client.close()
        self.server.stop()


def browser_login(page: Any, site: Site, user: str, path: str = "/") -> None:
    """Log ``page`` in as ``user`` through the login form, landing on ``path``."""
    page.goto(f"{site.base}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", site.passwords[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}{path}")
