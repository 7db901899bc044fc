"""Backup, restore and upgrade through the real ``sounding`` command.

A store built by the previous release's migrations needs an upgrade (``db check`` exit 1),
``db upgrade`` migrates it and ``db check`` then says it is current; ``serve`` says which
migrations it applied. A backup taken while a real server runs and writes restores into
another home where a server answers the same for assets, lineage, glossary terms, findings and
executions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.errors import StoreError
from sounding.services.secrets import SecretBox
from sounding.testing.server import ServerProcess
from tests.store.test_release_upgrade import _release_store
from tests.ui.site import demo_copy

pytestmark = pytest.mark.slow


def sounding(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``sounding`` command (the venv's console script when there is one)."""
    script = Path(sys.executable).with_name("sounding")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sounding.cli"]
    return subprocess.run(
        [*command, *args],
        env={
            **{k: v for k, v in os.environ.items() if k not in ("SOUNDING_DATABASE_URL",)},
            "SOUNDING_HOME": str(home),
            "NO_COLOR": "1",
            "COLUMNS": "300",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def release_store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A home (and the environment naming its store) holding a store at the release's schema."""
    home = tmp_path / "home"
    home.mkdir()
    if request.param == "sqlite":
        _release_store(f"sqlite:///{home / 'sounding.db'}")
        return home, {}
    url = str(request.getfixturevalue("postgres_url"))
    _release_store(url)
    return home, {"SOUNDING_DATABASE_URL": url}


def test_db_check_and_upgrade_migrate_a_release_store(
    release_store: tuple[Path, dict[str, str]],
) -> None:
    home, env = release_store
    check = sounding(home, "db", "check", env=env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "needs upgrade" in check.stdout
    assert "pending migration changes_0001" in check.stdout
    assert "pending migration accounts_0002" in check.stdout
    assert "pending migration versions_0001" not in check.stdout  # the release had it

    again = sounding(home, "db", "check", env=env)  # checking changed nothing
    assert again.returncode == 1 and again.stdout == check.stdout

    upgrade = sounding(home, "db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert "Applied migrations:" in upgrade.stdout and "changes_0001" in upgrade.stdout

    current = sounding(home, "db", "check", env=env)
    assert current.returncode == 0, current.stdout + current.stderr
    assert "is current" in current.stdout
    idempotent = sounding(home, "db", "upgrade", env=env)
    assert idempotent.returncode == 0 and "nothing to apply" in idempotent.stdout


def test_db_check_names_migrations_of_a_newer_release(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert sounding(home, "db", "upgrade").returncode == 0
    engine = sa.create_engine(f"sqlite:///{home / 'sounding.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('future_0001')"))
    engine.dispose()
    check = sounding(home, "db", "check")
    assert check.returncode == 1
    assert "unknown migration future_0001" in check.stderr
    refused = sounding(home, "db", "upgrade")
    assert refused.returncode == 2 and "newer release" in refused.stderr


def test_serve_says_which_migrations_it_applied(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _release_store(f"sqlite:///{home / 'sounding.db'}")
    server = ServerProcess(home)
    server.token = "-"  # the store has users: no bootstrap token is printed
    server.start(timeout=60)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            "Applied migrations:" in line for line in server.output
        ):
            time.sleep(0.1)
        applied = [line for line in server.output if "Applied migrations:" in line]
        assert applied and "changes_0001" in applied[0], list(server.output)
    finally:
        server.stop()
    assert sounding(home, "db", "check").returncode == 0


def test_backup_and_restore_refuse_what_they_cannot_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pg = sounding(
        home,
        "backup",
        str(tmp_path / "b.tar.gz"),
        env={"SOUNDING_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres"},
    )
    assert pg.returncode == 2 and "pg_dump" in pg.stderr and len(pg.stderr.splitlines()) == 1
    missing = sounding(home, "backup", str(tmp_path / "b.tar.gz"))
    assert missing.returncode == 2 and "no store" in missing.stderr
    not_a_backup = tmp_path / "junk.tar.gz"
    not_a_backup.write_bytes(b"not a tar file")
    bad = sounding(tmp_path / "empty", "restore", str(not_a_backup))
    assert bad.returncode == 2 and "not a readable Sounding backup" in bad.stderr
    assert not (tmp_path / "empty" / "sounding.db").exists()  # nothing half-written


def test_a_store_without_its_key_says_what_is_missing(tmp_path: Path) -> None:
    stored = SecretBox(Fernet.generate_key()).encrypt("postgresql://u:pw@h/db")
    restored_home = Settings(home=tmp_path / "restored")  # no key: a new one is generated
    with pytest.raises(StoreError, match="--include-secret-key needs the original key"):
        SecretBox.from_settings(restored_home).decrypt(stored)


def _get(client: httpx.Client, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return answer.json()


def _answers(client: httpx.Client) -> dict[str, Any]:
    assets = _get(client, "/api/v1/assets?limit=500")
    lineage = {
        a["urn"]: _get(client, f"/api/v1/assets/{a['id']}/lineage?direction=both&depth=3")
        for a in assets["items"]
        if a["type"] in ("table", "view")
    }
    return {
        "assets": assets,
        "lineage": lineage,
        "findings": _get(client, "/api/v1/compliance/findings?limit=500"),
        "executions": _get(client, "/api/v1/executions?limit=1000"),
    }


def _terms(client: httpx.Client) -> dict[str, Any]:
    page = _get(client, "/api/v1/glossary/terms?limit=500")
    return {t["path"]: t for t in page["items"]}


def test_backup_while_serving_restores_to_the_same_answers(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home, restored = tmp_path / "demo", tmp_path / "restored"
    _password, token = demo_copy(tmp_path_factory, home)  # the run's one demo build, copied
    server = ServerProcess(home)
    server.token = token
    server.start(timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    archive = tmp_path / "backup.tar.gz"
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            before = _answers(client)
            terms_before = _terms(client)
            assert before["assets"]["items"] and before["findings"]["items"]
            assert before["executions"]["items"] and any(before["lineage"].values())

            written: list[str] = []
            stop = threading.Event()

            def write() -> None:  # the server keeps writing while the backup runs
                with httpx.Client(base_url=server.base, headers=headers, timeout=30) as w:
                    while not stop.is_set():
                        name = f"Backup Term {len(written)}"
                        answer = w.post(
                            "/api/v1/glossary/terms", json={"name": name, "definition": "x"}
                        )
                        assert answer.status_code in (200, 201), answer.text
                        written.append(name)

            writer = threading.Thread(target=write)
            writer.start()
            try:
                while len(written) < 3:
                    time.sleep(0.05)
                done = sounding(home, "backup", str(archive))
                during = len(written)
            finally:
                stop.set()
                writer.join()
            assert done.returncode == 0, done.stdout + done.stderr
            assert during > 3 and len(written) > 0
            original_terms = _terms(client)
            original = _answers(client)
    finally:
        server.stop()

    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["manifest.json", "sounding.db"]  # no secret key
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert "changes_0001" in manifest["migration_heads"] and manifest["sounding_version"]

    put_back = sounding(restored, "restore", str(archive))
    assert put_back.returncode == 0, put_back.stdout + put_back.stderr
    assert "holds no secret key" in put_back.stdout
    refused = sounding(restored, "restore", str(archive))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    copy = ServerProcess(restored)
    copy.token = token  # tokens live in the store: the same token works on the copy
    copy.start(timeout=60)
    try:
        with httpx.Client(base_url=copy.base, headers=headers, timeout=30) as client:
            after = _answers(client)
            terms_after = _terms(client)
    finally:
        copy.stop()
    assert after == original == before
    # the copy is one moment of the store: every term before the backup, the terms written
    # up to some point during it, each exactly as the original answers it, and none half-made
    assert set(terms_before) <= set(terms_after) <= set(original_terms)
    for path, term in terms_after.items():
        assert term == original_terms[path]
    written_in_copy = sorted(
        int(p.rsplit(" ", 1)[1]) for p in terms_after if p.startswith("/Backup Term ")
    )
    assert written_in_copy == list(range(len(written_in_copy)))  # a prefix of the writes


def test_serve_on_a_new_store_says_it_created_the_schema(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "new")
    server.token = "-"  # keep every line of output (the token is not needed here)
    server.start(timeout=60)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            "Created the store's schema" in line for line in server.output
        ):
            time.sleep(0.1)
        assert any("Created the store's schema" in line for line in server.output)
        assert not any("Applied migrations:" in line for line in server.output)
    finally:
        server.stop()


def test_the_secret_key_only_when_asked_and_force_replaces_a_store(tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "other"
    assert sounding(home, "user", "create", "ann", "--role", "steward").returncode == 0
    key = (home / "secret.key").read_bytes().strip()
    archive = tmp_path / "with-key.tar.gz"
    made = sounding(home, "backup", str(archive), "--include-secret-key")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "warning" in made.stderr and "secret key" in made.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    again = sounding(home, "backup", str(archive))  # never overwrites a backup
    assert again.returncode == 2 and "already exists" in again.stderr

    assert sounding(other, "user", "create", "bob", "--role", "viewer").returncode == 0
    refused = sounding(other, "restore", str(archive))
    assert refused.returncode == 2 and "already holds a store" in refused.stderr
    assert (other / "secret.key").read_bytes().strip() != key  # untouched
    forced = sounding(other, "restore", str(archive), "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (other / "secret.key").read_bytes().strip() == key
    users = sounding(other, "user", "list")
    assert "ann" in users.stdout and "bob" not in users.stdout
