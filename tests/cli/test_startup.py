"""The ``sounding`` command as a user starts it: a child process of ``python -m sounding.cli``.

Start-up is lazy (``sounding.cli.commands.COMMANDS``): ``--help`` and ``--version`` import no
command module, and a command imports only its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from sounding import __version__
from sounding.cli.app import app, load_command
from sounding.cli.commands import COMMANDS

# what the web server, the ORM and the scanners bring in: none of it is needed to print help
HEAVY = ("fastapi", "sqlalchemy", "uvicorn", "alembic", "duckdb", "sqlglot", "numpy", "httpx")


def sounding(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "SOUNDING_DATABASE_URL"}
    environ.update({"SOUNDING_HOME": str(home), "COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def imported_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_web_stack_or_store() -> None:
    loaded = imported_after("import sounding.cli.app")
    assert [m for m in HEAVY if m in loaded] == []
    assert not any(
        m.startswith(("sounding.services", "sounding.api", "sounding.store")) for m in loaded
    )


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    code = (
        "from sounding.cli.app import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    )
    loaded = imported_after(code)
    assert [m for m in HEAVY if m in loaded] == []
    assert not any(m.endswith("_cmd") or m == "sounding.cli.core" for m in loaded)


def test_a_command_loads_only_its_own_module() -> None:
    code = (
        "from sounding.cli.app import app\n"
        "try:\n    app(['user', '--help'])\nexcept SystemExit:\n    pass"
    )
    loaded = imported_after(code)
    assert "sounding.cli.users_cmd" in loaded
    assert "fastapi" not in loaded and "sounding.cli.workflow_cmd" not in loaded


def test_help_lists_every_command(tmp_path: Path) -> None:
    done = sounding("--help", home=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = {
        line.split()[1]
        for line in done.stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2
    }
    assert set(COMMANDS) <= listed
    assert "Manage API tokens." in done.stdout


def test_each_command_help_line_is_the_one_its_module_declares() -> None:
    for name, spec in COMMANDS.items():
        command = load_command(name, spec)
        first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
        assert spec.help == first_paragraph, name


def test_version_prints_the_version_and_exits_0(tmp_path: Path) -> None:
    done = sounding("--version", home=tmp_path)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, __version__, "")


def test_an_unknown_command_exits_2_and_suggests_the_near_one(tmp_path: Path) -> None:
    done = sounding("asets", "list", home=tmp_path)
    assert done.returncode == 2
    assert "No such command 'asets'" in done.stderr and "'assets'" in done.stderr


def test_a_parse_error_is_one_line_and_verbose_shows_the_details(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: nightly\nsteps: [\n  - key: scan\n")
    done = sounding("workflow", "apply", str(bad), home=tmp_path / "home")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not valid YAML" in lines[0] and "line 3" in lines[0]
    assert "--verbose" in lines[0]
    verbose = sounding("--verbose", "workflow", "apply", str(bad), home=tmp_path / "home")
    assert verbose.returncode == 2
    assert "expected the node content" in verbose.stderr


def test_an_empty_catalog_says_which_store_it_read(tmp_path: Path) -> None:
    done = sounding("assets", "list", home=tmp_path / "elsewhere")
    assert done.returncode == 0
    assert str(tmp_path / "elsewhere" / "sounding.db") in done.stdout.replace("\n", "")
    assert "SOUNDING_HOME" in done.stdout


def test_the_root_group_is_still_a_typer_app() -> None:
    assert isinstance(app, typer.Typer)


def test_an_unexpected_error_is_still_one_line_and_exit_1(tmp_path: Path) -> None:
    from sounding.testing.server import free_port

    unreachable = {"SOUNDING_DATABASE_URL": f"postgresql+psycopg://x@127.0.0.1:{free_port()}/x"}
    done = sounding("assets", "list", home=tmp_path, env=unreachable)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Connection refused" in lines[0] and "--verbose" in lines[0]
    verbose = sounding("--verbose", "assets", "list", home=tmp_path, env=unreachable)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_a_missing_asset_exits_1_with_one_line(tmp_path: Path) -> None:
    done = sounding("assets", "show", "urn:sounding:nope:main.t", home=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "not found" in done.stderr


def test_reading_the_catalog_loads_no_connector_or_web_stack(tmp_path: Path) -> None:
    assert sounding("assets", "list", home=tmp_path / "home").returncode == 0  # the store exists
    code = (
        "import os\n"
        f"os.environ['SOUNDING_HOME'] = {str(tmp_path / 'home')!r}\n"
        "os.environ.pop('SOUNDING_DATABASE_URL', None)\n"
        "from sounding.cli.app import app\n"
        "try:\n    app(['assets', 'list'])\nexcept SystemExit as exc:\n    assert not exc.code\n"
    )
    loaded = imported_after(code)
    assert "sounding.services.catalog" in loaded  # the command ran
    unneeded = ("duckdb", "sqlglot", "fastapi", "uvicorn", "httpx", "alembic")
    assert [m for m in unneeded if m in loaded] == []
    # nor the runtime's background parts: the engine, its scheduler, search, usage
    background = ("sounding.orchestration", "sounding.services.workflows",
                  "sounding.services.scheduler", "sounding.services.search")  # fmt: skip
    assert sorted(m for m in loaded if m.startswith(background)) == []
