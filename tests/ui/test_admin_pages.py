"""Administration (``/admin``) over HTTP against a real server on the demo store: users and
roles, API tokens shown once and revoked, the audit log with its filters, system health, and
that nobody but an admin sees or uses any of it.

Users these tests make are named ``adm-*``; tokens they make are labelled ``adm-*``; demo users
and tokens are never changed.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
ADMIN_PAGES = ("/admin/users", "/admin/tokens", "/admin/audit", "/admin/health")
TOKEN_RE = re.compile(r'id="new-token-value"[^>]*value="(snd_[\w-]+)"')
FORM_ID_RE = re.compile(r'name="form_id" value="([\w-]+)"')


def _api(site: Site, path: str, token: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else site.server.headers
    return httpx.get(f"{site.base}/api/v1{path}", headers=headers, params=params, timeout=30)


def _users(site: Site) -> dict[str, dict[str, Any]]:
    items = _api(site, "/users", limit=1000).json()["items"]
    return {u["name"]: u for u in items}


def _audit(site: Site, **params: Any) -> list[dict[str, Any]]:
    answer = _api(site, "/audit", limit=200, **params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _form_id(client: httpx.Client) -> str:
    match = FORM_ID_RE.search(client.get("/admin/tokens").text)
    assert match, "the token form carries no form id"
    return match.group(1)


def _new_token(site: Site, client: httpx.Client, user: str, label: str) -> tuple[str, str]:
    """Create a token through the form; its value and the form id that made it."""
    form_id = _form_id(client)
    answer = client.post(
        "/admin/tokens",
        data={
            "csrf_token": site.csrf(client, "/admin/tokens"),
            "form_id": form_id,
            "user": user,
            "name": label,
            "expires_in": "30d",
        },
    )
    assert answer.status_code == 200, answer.text[:500]
    match = TOKEN_RE.search(answer.text)
    assert match, "the answer does not show the new token"
    assert "shown this once and never again" in answer.text
    assert answer.headers["cache-control"] == "no-store"  # never kept by a cache either
    return match.group(1), form_id


def test_admin_sees_the_admin_entry_and_every_admin_page(site: Site) -> None:
    admin = site.as_user("admin")
    home = admin.get("/")
    assert '<a href="/admin"' in home.text
    entry = admin.get("/admin")
    assert entry.status_code == 303 and entry.headers["location"] == "/admin/users"
    for path in ADMIN_PAGES:
        page = admin.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert 'aria-current="page">Admin' in page.text.replace("\n", "")  # nav highlights it
        assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("role", ["steward", "viewer"])
def test_non_admins_get_403_pages_no_nav_entry_and_forged_posts_change_nothing(
    site: Site, role: str
) -> None:
    client = site.as_user(role)
    assert 'href="/admin"' not in client.get("/").text
    for path in ("/admin", *ADMIN_PAGES):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 403, path
        assert "lacks permission" in unescape(page.text) and "<html" in page.text
    csrf = site.csrf(client)  # their own valid CSRF token: still not allowed
    forged = [
        (
            "/admin/users",
            {
                "name": f"adm-forged-{role}",
                "role": "admin",
                "password": "x" * 12,
                "confirm": "x" * 12,
            },
        ),
        ("/admin/users/viewer/role", {"role": "admin"}),
        ("/admin/users/admin/disable", {}),
        ("/admin/tokens", {"form_id": "f" * 20, "user": "admin", "name": "adm-forged"}),
        ("/admin/tokens/1/revoke", {}),
    ]
    for path, data in forged:
        answer = client.post(path, data={"csrf_token": csrf, **data})
        assert answer.status_code == 403, path
    users = _users(site)
    assert f"adm-forged-{role}" not in users
    assert users["viewer"]["role"] == "viewer" and not users["admin"]["disabled"]
    assert _api(site, "/me").status_code == 200  # the admin's tokens still work
    tokens = _api(site, "/users/admin/tokens").json()["items"]
    assert "adm-forged" not in {t["name"] for t in tokens}


def test_posts_without_the_csrf_token_are_refused_even_for_admins(site: Site) -> None:
    admin = site.as_user("admin")
    answer = admin.post(
        "/admin/users",
        data={"name": "adm-nocsrf", "role": "viewer", "password": "p" * 10, "confirm": "p" * 10},
    )
    assert answer.status_code == 403
    assert "adm-nocsrf" not in _users(site)


def test_create_a_user_change_the_role_disable_and_enable(site: Site) -> None:
    admin = site.as_user("admin")
    csrf = site.csrf(admin, "/admin/users")
    made = admin.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "name": "adm-carol",
            "role": "steward",
            "password": "carol-pass-1",
            "confirm": "carol-pass-1",
        },
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/admin/users?done=created&user=adm-carol"
    listed = unescape(admin.get(made.headers["location"]).text)
    assert "User <strong>adm-carol</strong> created" in listed
    assert _users(site)["adm-carol"]["role"] == "steward"
    carol = site.login("adm-carol", "carol-pass-1")  # the password works at once
    assert "adm-carol" in carol.get("/").text
    changed = admin.post("/admin/users/adm-carol/role", data={"csrf_token": csrf, "role": "viewer"})
    assert changed.status_code == 303
    assert _users(site)["adm-carol"]["role"] == "viewer"
    assert '<small class="role">viewer</small>' in carol.get("/").text  # applies at once
    off = admin.post("/admin/users/adm-carol/disable", data={"csrf_token": csrf})
    assert off.status_code == 303 and _users(site)["adm-carol"]["disabled"] is True
    assert carol.get("/").status_code == 303  # their session ended: back to the login page
    assert 'class="badge failed">disabled' in admin.get("/admin/users").text
    on = admin.post("/admin/users/adm-carol/enable", data={"csrf_token": csrf})
    assert on.status_code == 303 and _users(site)["adm-carol"]["disabled"] is False
    # a new password: it ends their sessions, and the old one no longer logs in
    carol = site.login("adm-carol", "carol-pass-1")
    bad = admin.post(
        "/admin/users/adm-carol/password",
        data={"csrf_token": csrf, "password": "carol-pass-2", "confirm": "carol-pass-3"},
    )
    assert bad.status_code == 422 and "differ" in unescape(bad.text)
    assert carol.get("/").status_code == 200  # nothing changed
    reset = admin.post(
        "/admin/users/adm-carol/password",
        data={"csrf_token": csrf, "password": "carol-pass-2", "confirm": "carol-pass-2"},
    )
    assert reset.status_code == 303 and reset.headers["location"].endswith(
        "done=password&user=adm-carol"
    )
    assert carol.get("/").status_code == 303  # their session ended
    assert "adm-carol" in site.login("adm-carol", "carol-pass-2").get("/").text
    mine = admin.post(
        "/admin/users/admin/password",
        data={"csrf_token": csrf, "password": "admin-pass-99", "confirm": "admin-pass-99"},
    )
    assert mine.status_code == 409  # not one's own (the CLI does that): the session stays
    assert admin.get("/admin/users").status_code == 200
    actions = [(e["action"], e["target"]) for e in _audit(site, user="admin")]
    assert ("user.create", "adm-carol") in actions and ("user.update", "adm-carol") in actions
    assert ("user.set_password", "adm-carol") in actions


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "bad name!", "role": "viewer"}, "name", "Invalid user name"),
        ({"name": "adm-dave", "role": "owner"}, "role", "Choose a role"),
        ({"name": "adm-dave", "role": "viewer", "password": "short"}, "password", "8 to 1024"),
        ({"name": "adm-dave", "role": "viewer", "confirm": "other-pass-9"}, "confirm", "differ"),
    ],
)
def test_a_bad_user_form_shows_the_error_next_to_its_field_and_makes_nothing(
    site: Site, data: dict[str, str], field: str, message: str
) -> None:
    admin = site.as_user("admin")
    sent = {"password": "dave-pass-12", "confirm": "dave-pass-12", **data}
    answer = admin.post("/admin/users", data={"csrf_token": site.csrf(admin), **sent})
    assert answer.status_code == 422
    error = re.search(
        rf'<p class="field-error" id="err-{field}" role="alert">([^<]*)</p>', answer.text
    )
    assert error and message in unescape(error.group(1)), answer.text[-3000:]
    assert f'aria-describedby="err-{field}"' in answer.text
    if data["name"] == "adm-dave":
        assert 'value="adm-dave"' in answer.text  # what was typed is kept (not the password)
    assert "dave-pass-12" not in answer.text
    assert "adm-dave" not in _users(site) and "bad name!" not in _users(site)


def test_a_taken_name_is_a_conflict_and_an_admin_cannot_lock_themself_out(site: Site) -> None:
    admin = site.as_user("admin")
    csrf = site.csrf(admin)
    taken = admin.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "name": "viewer",
            "role": "admin",
            "password": "p" * 10,
            "confirm": "p" * 10,
        },
    )
    assert taken.status_code == 409 and "already exists" in unescape(taken.text)
    assert _users(site)["viewer"]["role"] == "viewer"
    demote = admin.post("/admin/users/admin/role", data={"csrf_token": csrf, "role": "viewer"})
    assert demote.status_code == 409 and "cannot demote yourself" in unescape(demote.text)
    disable = admin.post("/admin/users/admin/disable", data={"csrf_token": csrf})
    assert disable.status_code == 409 and "cannot disable yourself" in unescape(disable.text)
    assert _users(site)["admin"] == {**_users(site)["admin"], "role": "admin", "disabled": False}
    unknown = admin.post(
        "/admin/users/adm-nobody/role", data={"csrf_token": csrf, "role": "viewer"}
    )
    assert unknown.status_code == 404


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(site: Site) -> None:
    admin = site.as_user("admin")
    token, form_id = _new_token(site, admin, "viewer", "adm-once")
    me = _api(site, "/me", token)
    assert me.status_code == 200 and me.json()["name"] == "viewer"
    # never shown again: not in the lists (only its first characters), not on a resubmission
    for show in ("live", "all"):
        listed = admin.get(f"/admin/tokens?show={show}").text
        assert token not in listed and "adm-once" in listed and f"<code>{token[:8]}…" in listed
    again = admin.post(
        "/admin/tokens",
        data={
            "csrf_token": site.csrf(admin),
            "form_id": form_id,
            "user": "viewer",
            "name": "adm-once",
        },
    )
    assert again.status_code == 409 and token not in again.text
    assert "shown once and is never shown again" in unescape(again.text)
    ids = [
        t["id"]
        for t in _api(site, "/users/viewer/tokens").json()["items"]
        if t["name"] == "adm-once"
    ]
    assert len(ids) == 1  # the resubmission made no second token
    revoked = admin.post(f"/admin/tokens/{ids[0]}/revoke", data={"csrf_token": site.csrf(admin)})
    assert revoked.status_code == 303 and revoked.headers["location"].endswith(f"={ids[0]}")
    assert _api(site, "/me", token).status_code == 401  # at once
    page = unescape(admin.get(revoked.headers["location"]).text)
    assert f"Token {ids[0]} is revoked" in page
    assert f'id="token-{ids[0]}"' not in page  # the live list no longer holds it
    assert f'id="token-{ids[0]}"' in admin.get("/admin/tokens?show=all").text
    audit = unescape(admin.get(f"/admin/audit?target={ids[0]}&action=token.revoke").text)
    assert "1 record matching" in audit and "token.revoke" in audit
    created = _audit(site, action="token.create", user="admin")
    assert any(e["details"].get("token_id") == ids[0] for e in created)
    twice = admin.post(f"/admin/tokens/{ids[0]}/revoke", data={"csrf_token": site.csrf(admin)})
    assert twice.status_code == 404


def test_a_bad_token_form_says_what_is_wrong_and_makes_nothing(site: Site) -> None:
    admin = site.as_user("admin")
    before = len(_api(site, "/users/steward/tokens").json()["items"])
    for data, field, message in [
        ({"user": ""}, "user", "Choose the user"),
        ({"user": "steward", "expires_in": "soon"}, "expires_in", "expires_in"),
    ]:
        answer = admin.post(
            "/admin/tokens",
            data={"csrf_token": site.csrf(admin), "form_id": _form_id(admin), **data},
        )
        assert answer.status_code == 422, answer.text[:300]
        assert f'id="err-{field}"' in answer.text and message in unescape(answer.text)
        assert not TOKEN_RE.search(answer.text)
    ghost = admin.post(
        "/admin/tokens",
        data={"csrf_token": site.csrf(admin), "form_id": _form_id(admin), "user": "adm-ghost"},
    )
    assert ghost.status_code == 404 and "not found" in unescape(ghost.text)
    assert len(_api(site, "/users/steward/tokens").json()["items"]) == before


def test_the_audit_log_filters_by_actor_action_target_and_time_and_pages(site: Site) -> None:
    admin = site.as_user("admin")
    everything = _api(site, "/audit", limit=1).json()["total"]
    page = unescape(admin.get("/admin/audit").text)
    assert f"{everything} records, newest first" in page
    if everything > 50:
        assert 'rel="next"' in page and "Page 1 of" in page
        second = admin.get("/admin/audit?page=2").text
        first_ids = set(re.findall(r'id="audit-(\d+)"', page))
        assert first_ids and not first_ids & set(re.findall(r'id="audit-(\d+)"', second))
    logins = _audit(site, user="viewer", action="session.login")
    shown = unescape(admin.get("/admin/audit?actor=viewer&action=session.login").text)
    assert f"{len(logins)} record{'s' if len(logins) != 1 else ''} matching" in shown
    assert set(re.findall(r'id="audit-(\d+)"', shown)) == {str(e["id"]) for e in logins}
    by_target = unescape(admin.get("/admin/audit?target=viewer").text)
    rows = re.findall(r'id="audit-(\d+)"', by_target)
    assert rows and {str(e["id"]) for e in _audit(site, target="viewer")} == set(rows)
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    future = unescape(admin.get(f"/admin/audit?since={later}").text)
    assert "0 records matching" in future and "No audit record matches" in future
    past = unescape(admin.get(f"/admin/audit?until={later}").text)
    assert f"{_api(site, '/audit', limit=1).json()['total']} records matching" in past
    bad = admin.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422 and 'id="err-since"' in bad.text
    empty = admin.get(f"/admin/audit?since={later}&until={later}")
    assert empty.status_code == 422 and 'id="err-until"' in empty.text
    assert admin.get("/admin/audit?page=0").status_code == 422  # bounded
    assert admin.get("/admin/audit?page=100000").status_code == 422


def test_the_audit_api_takes_the_same_filters(site: Site) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _audit(site, since=later) == []
    assert {e["target"] for e in _audit(site, target="viewer")} == {"viewer"}
    bad = _api(site, "/audit", since=later, until=later)
    assert bad.status_code == 422 and "empty" in bad.json()["error"]["message"]


def test_health_shows_queue_tasks_sources_executor_and_scheduler(site: Site) -> None:
    admin = site.as_user("admin")
    page = unescape(admin.get("/admin/health").text)
    api = _api(site, "/system/health").json()
    for label in (
        "queued tasks",
        "running tasks",
        "scheduler lag",
        "Load per source",
        "Executor",
        "Scheduled workflows",
    ):
        assert label in page, label
    assert f"<td>{api['executor']['name']}</td>" in page
    assert "started" in page and "running</span>" in page  # the server runs both
    assert "does not run in this server process" not in page
    assert re.search(r'id="h-running">\d+<', page) and re.search(r'id="h-lag">[\d.]+ s<', page)
    assert 'hx-trigger="every 5s"' in page  # it refreshes itself


def test_health_shows_retention_and_the_last_prune(site: Site) -> None:
    admin = site.as_user("admin")
    page = unescape(admin.get("/admin/health").text)
    assert "Retention" in page
    assert "Finished executions</th><td>kept 180d" in page
    assert "Audit log</th><td>kept forever" in page
    pruned = httpx.post(
        f"{site.base}/api/v1/admin/retention/prune",
        params={"dry_run": "true"},
        headers=site.server.headers,
        timeout=60,
    )
    assert pruned.status_code == 200, pruned.text
    page = unescape(admin.get("/admin/health").text)
    last = re.search(r'id="retention-last">(.*?)</td>', page)
    assert last and "(dry run)" in last.group(1) and "executions 0" in last.group(1)


def test_health_shows_a_running_execution_and_its_load_per_source(site: Site) -> None:
    """A workflow of the test's own (``adm-busy``) runs slow tasks on one source, one at a
    time: the page shows them running and queued, as the API does; then it is cancelled."""
    document = {
        "name": "adm-busy",
        "limits": {"per_source": 1},
        "steps": [
            {
                "id": "read",
                "type": "sleep",
                "config": {"seconds": 1.0, "tasks": [{"key": f"k{i}", "source": "adm-src"}
                                                     for i in range(6)]},
            }
        ],
    }  # fmt: skip
    api = httpx.Client(base_url=f"{site.base}/api/v1", headers=site.server.headers, timeout=30)
    site.opened.append(api)
    assert api.post("/orchestrations", json=document).status_code in (200, 201)
    started = api.post("/orchestrations/adm-busy/execute").json()["id"]
    admin = site.as_user("admin")
    try:
        deadline = time.monotonic() + 20
        page = ""
        while time.monotonic() < deadline:
            page = unescape(admin.get("/admin/health").text)
            if re.search(r'<th scope="row">adm-src</th><td class="num">1</td>', page):
                break
            time.sleep(0.1)
        row = re.search(
            r'<th scope="row">adm-src</th><td class="num">(\d+)</td><td class="num">(\d+)</td>',
            page,
        )
        assert row and row.group(1) == "1" and int(row.group(2)) >= 1, page[-4000:]
        assert f"<code>{started[:8]}</code></td><td>adm-busy</td>" in page
        running = re.search(r'id="h-running">(\d+)<', page)
        assert running and int(running.group(1)) >= 1
        load = [
            s for s in _api(site, "/system/health").json()["sources"] if s["source"] == "adm-src"
        ]
        assert load and load[0]["running"] == 1
    finally:
        api.post(f"/executions/{started}/cancel")
        api.delete("/orchestrations/adm-busy")
