"""The source pages over HTTP against a real ``sounding serve`` on the demo store: the list,
adding and editing through the per-kind form (bad URLs refused with the connector's words,
secrets never shown back), the connection test, scanning with the live fragment, the scan
history with its changes, and what viewers and stewards may do."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from sounding.domain.dialects import url_examples
from tests.ui.site import Site

pytestmark = pytest.mark.slow


def _unique(prefix: str) -> str:
    return f"srcui-{prefix}-{uuid.uuid4().hex[:6]}"


def _api(site: Site, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, f"{site.base}/api/v1{path}", headers=site.server.headers, timeout=30, **kwargs
    )


def _shop_db(path: Path, tables: int = 3) -> Path:
    with sqlite3.connect(path) as db:
        for i in range(tables):
            db.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, amount REAL)")
            db.executemany(f"INSERT INTO t{i} (name, amount) VALUES (?, ?)", [("a", 1.5)] * 5)
        db.execute("CREATE VIEW v_all AS SELECT id, name FROM t0")
    return path


def _add(site: Site, client: httpx.Client, **fields: str) -> httpx.Response:
    token = site.csrf(client, "/sources/_new?kind=" + fields.get("kind", "sql"))
    return client.post("/sources/_new", data={"csrf_token": token, "kind": "sql", **fields})


def _text(answer: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", answer.text))


def _wait_done(client: httpx.Client, name: str, scan_id: int) -> tuple[str, list[int]]:
    """Poll the live fragment (as the page does) until the scan ends; the fragment last seen
    and the percents it showed on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = client.get(f"/sources/{name}/scans/{scan_id}/live", headers={"HX-Request": "true"})
        assert answer.status_code == 200, answer.text
        seen.append(int(re.search(r"data-percent>(\d+) %", answer.text).group(1)))  # type: ignore[union-attr]
        if 'hx-trigger="every 1s"' not in answer.text:
            return answer.text, seen
        time.sleep(0.3)
    raise AssertionError(f"scan {scan_id} did not finish")


def _result(html: str, key: str) -> int:
    found = re.search(rf'data-result="{key}">([\d,]+)<', html)
    assert found, key
    return int(found.group(1).replace(",", ""))


def _count(html: str, key: str) -> int:
    found = re.search(rf'data-count="{key}">([\d,]+)<', html)
    assert found, key
    return int(found.group(1).replace(",", ""))


def _stored_url(site: Site, name: str) -> str:
    """The source's URL as stored, decrypted with the server's own key."""
    home = Path(site.server.home)
    key = (home / "secret.key").read_bytes().strip()
    with sqlite3.connect(home / "sounding.db") as db:
        query = "SELECT url_encrypted FROM sources WHERE name = ?"
        (token,) = db.execute(query, (name,)).fetchone()
    return Fernet(key).decrypt(token.encode()).decode()


def test_list_shows_kind_last_scan_health_and_the_api_counts(site: Site) -> None:
    answer = site.as_user("viewer").get("/sources")
    assert answer.status_code == 200
    names = [s["name"] for s in _api(site, "GET", "/sources?limit=500").json()["items"]]
    assert names and all(f'href="/sources/{n}"' in answer.text for n in names)
    first = names[0]
    page = site.as_user("viewer").get(f"/sources/{first}")
    tables = _api(site, "GET", f"/assets?source={first}&type=table&limit=1").json()["total"]
    columns = _api(site, "GET", f"/assets?source={first}&type=column&limit=1").json()["total"]
    assert _count(page.text, "tables") == tables and _count(page.text, "columns") == columns
    scans = _api(site, "GET", f"/scans?source={first}&limit=1").json()["items"]
    if scans:
        assert f'href="/sources/{first}/scans/{scans[0]["id"]}"' in page.text
        assert "healthy" in answer.text or "degraded" in answer.text


def test_list_filters_sorts_and_pages(site: Site, tmp_path: Path) -> None:
    admin = site.login("admin")
    db = _shop_db(tmp_path / "few.db", 1)
    prefix = _unique("page")
    for i in range(3):
        assert _add(site, admin, name=f"{prefix}-{i}", url=f"sqlite:///{db}").status_code == 303
    listed = admin.get(f"/sources?q={prefix}&sort=name&order=desc")
    order = re.findall(rf'href="/sources/({prefix}-\d)"', listed.text)
    assert order == [f"{prefix}-2", f"{prefix}-1", f"{prefix}-0"]
    assert "3 sources" in listed.text and 'aria-sort="descending"' in listed.text
    none = admin.get("/sources?q=no-such-source-anywhere")
    assert "0 sources" in none.text and "No sources match" in none.text
    bad = admin.get("/sources?sort=size", headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "Unknown sort 'size'" in unescape(bad.text)
    assert admin.get("/sources?page=0").status_code == 422


def test_bad_url_shows_the_connector_error_on_the_form_and_saves_nothing(
    site: Site, tmp_path: Path
) -> None:
    admin = site.login("admin")
    name = _unique("bad")
    missing = tmp_path / "missing.db"
    answer = _add(site, admin, name=name, url=f"sqlite:///{missing}")
    assert answer.status_code == 422
    # the connector's exact words, at the URL field
    expected = f"SQLite file not found: {missing}"
    assert f'<p class="field-error" id="url-error">{expected}</p>' in answer.text
    assert "Nothing was saved" in answer.text and f'value="{name}"' in answer.text
    assert _api(site, "GET", f"/sources/{name}").status_code == 404
    # a URL no connector takes, and a URL of another kind's form
    unknown = _add(site, admin, name=name, url="nosuch://x")
    assert unknown.status_code == 422 and "No connector accepts URL" in _text(unknown)
    other = _add(site, admin, name=name, url=f"duckdb:///{missing}", kind="sql")
    assert other.status_code == 422 and "URL of the 'duckdb' connector" in _text(other)
    numbers = _add(site, admin, name=name, url=f"sqlite:///{missing}", max_concurrent="0")
    assert numbers.status_code == 422 and "from 1 to 1000" in numbers.text
    assert _api(site, "GET", f"/sources/{name}").status_code == 404


def test_secrets_are_never_shown_back_and_an_edit_keeps_them(site: Site) -> None:
    admin = site.login("admin")
    name = _unique("pg")
    secret = "s3cret-" + uuid.uuid4().hex[:8]
    url = f"postgresql+psycopg://ann:{secret}@127.0.0.1:1/shop"  # port 1: refused at once
    # an error elsewhere on the form: the typed password is not sent back either
    refused = _add(site, admin, name=name, url=url, include="([")
    assert refused.status_code == 422 and secret not in refused.text
    assert "ann:***@127.0.0.1:1/shop" in refused.text and "not shown again" in refused.text
    assert _add(site, admin, name=name, url=url, connect_timeout="2").status_code == 303
    for path in (f"/sources/{name}", f"/sources/{name}/edit", "/sources"):
        shown = admin.get(path)
        assert shown.status_code == 200 and secret not in shown.text
    edit = admin.get(f"/sources/{name}/edit").text
    assert "ann:***@127.0.0.1:1/shop" in edit and "A password or other secret is set" in edit
    revision = re.search(r'name="revision" value="(\d+)"', edit).group(1)  # type: ignore[union-attr]
    token = site.csrf(admin, f"/sources/{name}/edit")
    form = {
        "csrf_token": token,
        "revision": revision,
        "url": "postgresql+psycopg://ann:***@127.0.0.1:1/shop",
        "description": "edited without retyping",
        "connect_timeout": "2",
    }
    saved = admin.post(f"/sources/{name}/edit", data=form)
    assert saved.status_code == 303, saved.text
    assert _stored_url(site, name) == url  # the secret kept
    assert _api(site, "GET", f"/sources/{name}").json()["description"] == "edited without retyping"
    # another database, password still ***: kept too
    revision = str(int(revision) + 1)
    moved = {**form, "revision": revision, "url": form["url"].replace("/shop", "/shop2")}
    assert admin.post(f"/sources/{name}/edit", data=moved).status_code == 303
    assert _stored_url(site, name) == url.replace("/shop", "/shop2")
    # a stale revision is refused and changes nothing
    stale = admin.post(f"/sources/{name}/edit", data={**moved, "description": "lost"})
    assert stale.status_code == 412 and secret not in stale.text
    assert _api(site, "GET", f"/sources/{name}").json()["description"] == "edited without retyping"


def test_test_connection_reports_the_connectors_exact_error_or_its_facts(
    site: Site, tmp_path: Path
) -> None:
    admin = site.login("admin")
    down = _unique("down")
    url = "postgresql+psycopg://ann:pw-xyz@127.0.0.1:1/shop"
    assert _add(site, admin, name=down, url=url, connect_timeout="2").status_code == 303
    token = site.csrf(admin, f"/sources/{down}")
    hx = {"HX-Request": "true", "X-CSRF-Token": token}
    failed = admin.post(f"/sources/{down}/test", headers=hx)
    assert failed.status_code == 200 and "Connection failed" in failed.text
    api = _api(site, "POST", f"/sources/{down}/test")
    assert api.status_code >= 400
    message = re.search(r'class="test-message">(.*?)</span>', failed.text, re.S).group(1)  # type: ignore[union-attr]
    assert unescape(message) == api.json()["error"]["message"] and "pw-xyz" not in failed.text
    up = _unique("up")
    db = _shop_db(tmp_path / "up.db")
    assert _add(site, admin, name=up, url=f"sqlite:///{db}").status_code == 303
    ok = admin.post(f"/sources/{up}/test", headers=hx)
    assert ok.status_code == 200 and "Connection works" in ok.text and "sqlite" in ok.text


def test_scan_now_runs_the_api_scan_and_the_live_fragment_ends_on_the_api_numbers(
    site: Site, tmp_path: Path
) -> None:
    admin = site.login("admin")
    name = _unique("scan")
    db = _shop_db(tmp_path / "scan.db")
    assert _add(site, admin, name=name, url=f"sqlite:///{db}").status_code == 303
    token = site.csrf(admin, f"/sources/{name}")
    started = admin.post(
        f"/sources/{name}/scans",
        data={"csrf_token": token, "profile": "true", "lineage": "true"},
    )
    assert started.status_code == 303
    scan_id = int(re.search(r"scan=(\d+)", started.headers["location"]).group(1))  # type: ignore[union-attr]
    html, percents = _wait_done(admin, name, scan_id)
    assert percents == sorted(percents) and percents[-1] == 100
    scan = _api(site, "GET", f"/scans/{scan_id}").json()
    assert scan["status"] == "completed" and scan["source"] == name
    report = scan["report"]
    assert _result(html, "objects") == scan["objects_total"] == 4  # 3 tables and a view
    assert _result(html, "created") == report["created"]
    assert _result(html, "deleted") == report["deleted"] == 0
    assert _result(html, "failures") == report["failures_total"] == 0
    execution = _api(site, "GET", f"/executions/{scan['execution_id']}").json()
    assert execution["status"] == "completed"
    assert {s["id"] for s in execution["steps"]} == {"discover", "profile", "lineage"}
    assert f'href="/executions/{scan["execution_id"]}"' in html
    for step in ("discover", "profile", "lineage"):
        assert f'data-stage="{step}"' in html
    tables = _api(site, "GET", f"/assets?source={name}&type=table&limit=1").json()["total"]
    columns = _api(site, "GET", f"/assets?source={name}&type=column&limit=1").json()["total"]
    assert (_count(html, "tables"), _count(html, "columns")) == (tables, columns) == (3, 11)
    # the scan without profile: its execution has no profile step
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE t2")
        conn.execute("CREATE TABLE t9 (id INTEGER)")
    again = admin.post(f"/sources/{name}/scans", data={"csrf_token": token})
    second = int(re.search(r"scan=(\d+)", again.headers["location"]).group(1))  # type: ignore[union-attr]
    html, _ = _wait_done(admin, name, second)
    scan = _api(site, "GET", f"/scans/{second}").json()
    steps = _api(site, "GET", f"/executions/{scan['execution_id']}").json()["steps"]
    assert [s["id"] for s in steps] == ["discover"]
    assert (_result(html, "created"), _result(html, "deleted")) == (
        scan["report"]["created"],
        scan["report"]["deleted"],
    )
    # the history says what each scan changed, and the scan's page names the assets
    page = admin.get(f"/sources/{name}")
    removed = scan["report"]["deleted"]  # the table and its columns
    assert removed == 4
    assert f'href="/sources/{name}/scans/{second}?event=deleted">\u2212{removed}<' in page.text
    changes = admin.get(f"/sources/{name}/scans/{second}")
    assert "main.t9" in changes.text and "main.t2" in changes.text
    dropped = admin.get(f"/sources/{name}/scans/{second}?event=deleted")
    assert "main.t2" in dropped.text and "main.t9" not in dropped.text
    assert admin.get(f"/sources/{name}/scans/{second}?event=bogus").status_code == 422
    other = _api(site, "GET", "/scans?limit=1").json()["items"][0]
    if other["source"] != name:
        assert admin.get(f"/sources/{name}/scans/{other['id']}").status_code == 404


def test_viewers_see_no_controls_and_forged_posts_are_refused(site: Site, tmp_path: Path) -> None:
    admin = site.login("admin")
    name = _unique("perm")
    db = _shop_db(tmp_path / "perm.db")
    assert _add(site, admin, name=name, url=f"sqlite:///{db}").status_code == 303
    viewer = site.as_user("viewer")
    listed = viewer.get("/sources").text
    assert name in listed and "Add a source" not in listed
    page = viewer.get(f"/sources/{name}").text
    for control in ("Test connection", "Scan now", f"/sources/{name}/edit"):
        assert control not in page
    token = site.csrf(viewer, "/sources")
    forged = {
        f"/sources/{name}/scans": {},
        f"/sources/{name}/test": {},
        f"/sources/{name}/edit": {"revision": "0", "url": "sqlite:///x.db"},
        "/sources/_new": {"kind": "sql", "name": name + "x", "url": f"sqlite:///{db}"},
    }
    for path, data in forged.items():
        assert viewer.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert viewer.get("/sources/_new").status_code == 403
    assert _api(site, "GET", f"/scans?source={name}").json()["total"] == 0
    assert _api(site, "GET", f"/sources/{name + 'x'}").status_code == 404
    # stewards scan but do not manage sources
    steward = site.as_user("steward")
    page = steward.get(f"/sources/{name}").text
    assert "Scan now" in page and "Test connection" not in page
    token = site.csrf(steward, "/sources")
    assert steward.post(f"/sources/{name}/test", data={"csrf_token": token}).status_code == 403
    # and nobody changes anything without the session's CSRF token
    assert admin.post(f"/sources/{name}/scans", data={}).status_code == 403
    assert _api(site, "GET", f"/scans?source={name}").json()["total"] == 0


def test_the_forms_test_what_they_hold_before_saving(site: Site, tmp_path: Path) -> None:
    admin = site.login("admin")
    token = site.csrf(admin, "/sources/_new?kind=sql")
    hx = {"HX-Request": "true", "X-CSRF-Token": token}
    before = {s["name"] for s in _api(site, "GET", "/sources?limit=500").json()["items"]}
    missing = tmp_path / "none.db"
    bad = admin.post("/sources/_test", data={"url": f"sqlite:///{missing}"}, headers=hx)
    assert bad.status_code == 200 and "Connection failed" in bad.text
    assert f"SQLite file not found: {missing}" in _text(bad)
    db = _shop_db(tmp_path / "form.db")
    good = admin.post("/sources/_test", data={"url": f"sqlite:///{db}"}, headers=hx)
    assert "Connection works" in good.text and "sqlite" in good.text
    timeout = admin.post(
        "/sources/_test", data={"url": f"sqlite:///{db}", "statement_timeout": "0"}, headers=hx
    )
    assert "Connection failed" in timeout.text and "statement_timeout" in timeout.text
    after = {s["name"] for s in _api(site, "GET", "/sources?limit=500").json()["items"]}
    assert after == before  # testing saves nothing
    # editing: the redacted URL stands for the stored one, secrets included
    name = _unique("formtest")
    url = "postgresql+psycopg://ann:pw-form@127.0.0.1:1/shop"
    assert _add(site, admin, name=name, url=url, connect_timeout="2").status_code == 303
    shown = "postgresql+psycopg://ann:***@127.0.0.1:1/shop"
    edited = admin.post(
        f"/sources/{name}/test-form", data={"url": shown, "connect_timeout": "2"}, headers=hx
    )
    api = _api(site, "POST", f"/sources/{name}/test").json()["error"]["message"]
    shown_error = re.search(r'class="test-message">(.*?)</span>', edited.text, re.S)
    assert "Connection failed" in edited.text and shown_error
    assert unescape(shown_error.group(1)) == api
    assert "pw-form" not in edited.text
    nobody = admin.post(
        f"/sources/{name}/test-form",
        data={"url": "postgresql+psycopg://bob:***@127.0.0.1:1/shop"},
        headers=hx,
    )
    assert "Connection failed" in nobody.text  # bob has no stored password: *** refused
    viewer = site.as_user("viewer")
    vtoken = site.csrf(viewer, "/sources")
    assert viewer.post("/sources/_test", data={"url": f"sqlite:///{db}",
                       "csrf_token": vtoken}).status_code == 403  # fmt: skip


def test_the_kinds_page_lists_every_registered_sql_backend(site: Site) -> None:
    """The SQL form's backends and example URLs come from the dialect registry."""
    admin = site.login("admin")
    kinds = _text(admin.get("/sources/_new"))
    assert "SQL database (SQLite, PostgreSQL, MySQL/MariaDB)" in kinds
    for example in url_examples(sql_connector=True):
        assert example in kinds
    form = _text(admin.get("/sources/_new?kind=sql"))
    assert "postgresql://user@host:5432/dbname" in form
