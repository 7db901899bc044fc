"""``pip install sounding`` without extras runs: the wheel, installed into a fresh virtual
environment from a local wheelhouse of the dependencies it declares (no index, no download),
then the installed ``sounding`` command: help, version, every module importable, a user, a
scan of a sample database and a server answering /healthz.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from sounding.testing.server import free_port
from tests.cli import wheelhouse

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# every module of the installed package imports with only the declared dependencies
# (the optional extras' packages are imported on use, so they are not needed here)
IMPORT_ALL = """
import importlib, pkgutil, sounding
names = [
    m.name
    for m in pkgutil.walk_packages(sounding.__path__, "sounding.")
    # scripts, not modules: `python -m` runs the CLI, Alembic runs env.py (as `user create` does)
    if not m.name.endswith((".__main__", ".migrations.env"))
]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def _clean_env() -> dict[str, str]:
    """A user's shell: nothing points at this checkout's sources or a developer's settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDING_", "PYTHON"))}


def _run(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, check=False, timeout=300, env=env or _clean_env(),
        cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the sounding wheel and its declared dependencies; returns its bin/."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"  # a copy, so building leaves nothing in the checkout
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    pip = [sys.executable, "-m", "pip"]
    built = _run(
        [*pip, "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation",
         "-w", str(tmp / "dist"), str(source)]
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("sounding-*.whl")
    with zipfile.ZipFile(wheel) as whl:
        meta = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        static = {  # the vendored browser assets (Swagger UI, the web UI's) are shipped
            str(p.relative_to(ROOT / "src"))
            for p in (ROOT / "src" / "sounding").glob("*/static/**/*")
            if p.is_file()
        }
        assert static and static <= set(whl.namelist()), static - set(whl.namelist())
        requires = wheelhouse.requires_of(whl.read(meta).decode())
    wheelhouse.build(requires, tmp / "wheelhouse")
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    done = _run(
        [*pip, "--python", str(venv / "bin" / "python"), "install", "-q", "--no-compile",
         "--no-index", "--find-links", str(tmp / "wheelhouse"), str(wheel)]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return venv / "bin"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**_clean_env(), "SOUNDING_HOME": str(tmp_path / "home"), "COLUMNS": "200"}


def test_the_installed_command_runs(installed: Path, env: dict[str, str], tmp_path: Path) -> None:
    sounding = str(installed / "sounding")
    helped = _run([sounding, "--help"], env=env, cwd=tmp_path)
    assert helped.returncode == 0 and "Usage: sounding" in helped.stdout, helped.stderr
    assert _run([sounding, "--version"], env=env, cwd=tmp_path).stdout.strip()
    imported = _run([str(installed / "python"), "-c", IMPORT_ALL], env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr + imported.stdout
    assert int(imported.stdout) > 100  # every module, not an empty package
    where = "import sounding; print(sounding.__file__)"
    located = _run([str(installed / "python"), "-c", where], env=env, cwd=tmp_path)
    assert str(installed.parent) in located.stdout  # the installed copy, not this checkout
    created = _run([sounding, "user", "create", "ann", "--role", "steward"], env=env, cwd=tmp_path)
    assert created.returncode == 0 and "Created user ann" in created.stdout, created.stderr


def test_the_installed_command_scans_and_serves(
    installed: Path, env: dict[str, str], tmp_path: Path, corpora: Path
) -> None:
    sounding = str(installed / "sounding")
    db = tmp_path / "chinook.sqlite"
    shutil.copy(corpora / "sample_dbs" / "chinook.sqlite", db)
    added = _run([sounding, "source", "add", "chinook", f"sqlite:///{db}"], env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    scanned = _run([sounding, "scan", "chinook", "--json"], env=env, cwd=tmp_path)
    assert scanned.returncode == 0, scanned.stderr
    report = json.loads(scanned.stdout)["report"]
    assert report["created"] > 11 and report["failures_total"] == 0
    port = free_port()
    server = subprocess.Popen(  # SOUNDING_PORT, not --port: the setting is honoured
        [sounding, "serve"],
        env={**env, "SOUNDING_PORT": str(port)},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        token = _token(server)
        base = f"http://127.0.0.1:{port}"
        assert _healthy(base, server)
        tables = httpx.get(
            f"{base}/api/v1/assets",
            params={"source": "chinook", "type": "table"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert tables["total"] == 11
    finally:
        server.terminate()
        server.wait(timeout=30)
        assert server.stdout is not None
        server.stdout.close()


def _token(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    for line in server.stdout:
        found = re.search(r"(snd_[\w-]+)", line)
        if found:
            return found.group(1)
    raise AssertionError(f"sounding serve exited ({server.wait()}) without printing a token")


def _healthy(base: str, server: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).json()["status"] == "ok"
        except httpx.TransportError:
            time.sleep(0.1)
    return False
