"""Logging in and out of the web UI through a real server: sessions, CSRF, rate limits,
redirects, security headers and error pages."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
SET_PASSWORD = [sys.executable, "-m", "sounding.cli", "user", "set-password"]


def test_anonymous_pages_redirect_to_login_and_keep_where_to_go(site: Site) -> None:
    answer = httpx.get(f"{site.base}/?days=7", headers={"Accept": "text/html"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Fdays%3D7"
    htmx = httpx.get(f"{site.base}/", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/login"
    page = httpx.get(f"{site.base}/login")
    assert page.status_code == 200 and 'name="password"' in page.text


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(site: Site) -> None:
    client = httpx.Client(base_url=site.base, follow_redirects=False)
    site.opened.append(client)
    answer = client.post(
        "/login",
        data={"username": "steward", "password": site.passwords["steward"], "next": "/glossary"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/glossary"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP here; HTTPS requests get Secure
    home = client.get("/")
    assert home.status_code == 200 and "steward" in home.text
    # logging out needs the CSRF token: without it nothing happens
    refused = client.post("/logout")
    assert refused.status_code == 403
    assert client.get("/").status_code == 200
    token = site.csrf(client)
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    client.cookies.clear()
    stale = httpx.get(
        f"{site.base}/", cookies={"sounding_session": answer.cookies["sounding_session"]}
    )
    assert stale.status_code == 303  # the old cookie no longer opens anything


def test_wrong_password_and_unknown_user_get_the_same_answer(site: Site) -> None:
    wrong = httpx.post(f"{site.base}/login", data={"username": "viewer", "password": "nope-nope"})
    ghost = httpx.post(f"{site.base}/login", data={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == ghost.status_code == 401
    message = "Wrong user name or password"
    assert message in wrong.text and message in ghost.text
    # the form keeps the typed name; nothing else says whether such a user exists
    assert ghost.text.replace('value="ghost"', "").count("ghost") == 0


def test_failed_logins_are_limited_per_user(site: Site) -> None:
    for _ in range(5):
        answer = httpx.post(
            f"{site.base}/login", data={"username": "lockme", "password": "wrong-password"}
        )
        assert answer.status_code == 401
    limited = httpx.post(
        f"{site.base}/login", data={"username": "lockme", "password": "wrong-password"}
    )
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many failed logins" in limited.text


def test_next_never_leaves_the_site(site: Site) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:1"):
        answer = httpx.post(
            f"{site.base}/login",
            data={"username": "viewer", "password": site.passwords["viewer"], "next": target},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/", target


def test_a_login_posted_from_another_site_is_refused(site: Site) -> None:
    answer = httpx.post(
        f"{site.base}/login",
        data={"username": "viewer", "password": site.passwords["viewer"]},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_pages_carry_a_strict_content_security_policy(site: Site) -> None:
    page = site.as_user("viewer").get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    # nothing the policy would block: no inline script, style or event handler
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
    assert not re.search(r"\sstyle=|\son[a-z]+=", page.text)


def test_errors_are_pages_for_people_and_json_for_the_api(site: Site) -> None:
    client = site.as_user("viewer")
    missing = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "<h1>Not found" in missing.text
    assert "viewer" in client.get("/", headers={"Accept": "text/html"}).text
    api = httpx.get(f"{site.base}/api/v1/nothing-here", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["type"] == "NotFoundError"


def test_a_password_change_ends_the_users_sessions(site: Site) -> None:
    client = site.login("steward")
    assert client.get("/").status_code == 200
    env = {**os.environ, "SOUNDING_HOME": str(site.server.home)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sounding.cli",
            "user",
            "set-password",
            "steward",
            "--password-stdin",
        ],
        input=site.passwords["steward"] + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert client.get("/").status_code == 303
    site.clients.pop("steward", None)


def test_set_password_refuses_an_argument_and_a_short_password(site: Site) -> None:
    env = {**os.environ, "SOUNDING_HOME": str(site.server.home)}
    cmd = [*SET_PASSWORD, "viewer"]
    bare = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert bare.returncode == 2 and "--password-stdin" in bare.stderr + bare.stdout
    short = subprocess.run(
        [*cmd, "--password-stdin"], input="short\n", env=env, capture_output=True, text=True
    )
    assert short.returncode == 2 and "8 to 1024 characters" in short.stderr + short.stdout


def test_logins_are_audited(site: Site) -> None:
    site.login("viewer")
    conn = sqlite3.connect(site.server.home / "sounding.db")
    try:
        rows = conn.execute(
            "SELECT actor FROM audit_log WHERE action = 'session.login' AND actor = 'viewer'"
        ).fetchall()
    finally:
        conn.close()
    assert rows
