"""``bench/compare.py`` alternates two trees, takes medians and judges each figure."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

# a fake bench: takes the next of its tree's values, logs which tree ran and with which
# PYTHONPATH, prints one JSON line (plus a line of noise, which the parser must skip)
FAKE = """
import json, os, sys
from pathlib import Path
here = Path(__file__).resolve().parents[1]
values = json.loads((here / "values.json").read_text())
count = here / "count"
i = int(count.read_text()) if count.exists() else 0
count.write_text(str(i + 1))
with open(sys.argv[1], "a") as log:
    log.write(here.name + " " + os.environ["PYTHONPATH"] + "\\n")
print("warming up")
print(json.dumps(values[i]))
"""


def make_tree(root: Path, values: list[dict[str, float]]) -> Path:
    (root / "bench").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "bench" / "fake.py").write_text(FAKE)
    (root / "values.json").write_text(json.dumps(values))
    return root


def test_alternates_takes_medians_and_judges(tmp_path: Path) -> None:
    old_seconds = [1.0, 5.0, 1.2, 1.1, 0.9]  # median 1.1 (one outlier)
    new_seconds = [1.15, 1.2, 9.0, 1.19, 1.0]  # median 1.19: 8 % slower, within 10 %
    old = make_tree(
        tmp_path / "old",
        [{"seconds": s, "f1": 0.9, "rate": 100.0, "gone": 1} for s in old_seconds],
    )
    new = make_tree(
        tmp_path / "new",
        [{"seconds": s, "f1": 0.89, "rate": 85.0} for s in new_seconds],
    )
    log = tmp_path / "log"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "compare.py"),
            *("--old", str(old), "--new", str(new), "--runs", "5", "--name", "fake"),
            *("--command", f"{{tree}}/bench/fake.py {log}"),
            *("--figure", "seconds:lower", "--figure", "f1:higher"),
            *("--figure", "rate:higher", "--figure", "gone:lower", "--accuracy", "f1"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = {d["figure"]: d for d in map(json.loads, done.stdout.splitlines())}
    assert set(lines) == {"seconds", "f1", "rate", "gone", "process_cpu_s"}

    seconds = lines["seconds"]
    assert seconds["bench"] == "fake" and seconds["runs"] == 5
    assert seconds["old_median"] == 1.1 and seconds["new_median"] == 1.19
    assert seconds["ratio"] == round(1.19 / 1.1, 3)
    assert seconds["better"] == "lower" and seconds["within_10pct_or_better"] is True
    assert seconds["old_values"] == old_seconds and seconds["new_values"] == new_seconds
    assert len(seconds["loadavg"]) == 3 and len(seconds["loadavg_1m_runs"]) == 10

    # the CPU time of each run's process is measured too
    cpu = lines["process_cpu_s"]
    assert len(cpu["old_values"]) == len(cpu["new_values"]) == 5
    assert all(0 < v < 10 for v in cpu["old_values"] + cpu["new_values"])

    # an accuracy figure may not drop at all, even by about 1 %
    assert lines["f1"]["tolerance"] == 0.0 and lines["f1"]["within_10pct_or_better"] is False
    # 15 % fewer per second is outside 10 %
    assert lines["rate"]["ratio"] == 0.85 and lines["rate"]["within_10pct_or_better"] is False
    # a figure the new tree no longer prints gets no verdict
    gone = lines["gone"]
    assert gone["new_median"] is None and gone["within_10pct_or_better"] is None

    # old, new, old, new ...: each run with its own tree's src first
    runs = log.read_text().splitlines()
    assert runs == [f"old {old / 'src'}", f"new {new / 'src'}"] * 5


def load_compare() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_new_script_measures_each_trees_package(tmp_path: Path) -> None:
    """``source="new"``: the new tree's script, which puts its own src first, still imports
    ``sounding`` from the tree under test."""
    compare = load_compare()
    for name in ("old", "new"):
        pkg = tmp_path / name / "src" / "sounding"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(f"WHICH = {name!r}\n")
        (pkg / "speed.py").write_text(f"SECONDS = {1.0 if name == 'old' else 2.0}\n")
    (tmp_path / "new" / "bench").mkdir()
    (tmp_path / "new" / "bench" / "probe.py").write_text(
        "import json, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))\n"
        "import sounding\n"
        "from sounding.speed import SECONDS\n"
        "print(json.dumps({'seconds': SECONDS, 'arg': int(sys.argv[1])}))\n"
    )
    bench = compare.Bench("probe", "7", {"seconds": "lower", "arg": "lower"}, source="new", runs=2)
    lines = {
        d["figure"]: d
        for d in compare.compare(
            bench, tmp_path / "old", tmp_path / "new", 2, sys.executable, timeout=60
        )
    }
    assert lines["seconds"]["old_values"] == [1.0, 1.0]
    assert lines["seconds"]["new_values"] == [2.0, 2.0]
    assert lines["seconds"]["ratio"] == 2.0 and not lines["seconds"]["within_10pct_or_better"]
    assert lines["arg"]["old_median"] == lines["arg"]["new_median"] == 7.0


def test_lines_of_several_sets_are_keyed() -> None:
    """A bench printing one line per set is read by set; an older script's single line without
    the key counts as the default set, and lines that are not JSON objects are skipped."""
    compare = load_compare()
    now = '{"set": "demo", "seconds": 1}\nnoise\n{"set": "sample_dbs", "seconds": 2}\n[1]\n'
    doc = compare.parse_output(now, "set", "demo")
    assert compare.dig(doc, "demo.seconds") == 1.0
    assert compare.dig(doc, "sample_dbs.seconds") == 2.0
    before = compare.parse_output('{"seconds": 3, "ok": true}\n', "set", "demo")
    assert compare.dig(before, "demo.seconds") == 3.0
    assert compare.dig(before, "demo.ok") is None  # a flag is not a figure
    assert compare.dig(before, "sample_dbs.seconds") is None


def test_trees_run_from_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both trees are compiled first and run with bytecode, as an install does, even when the
    caller's environment says not to write it (every run would compile its imports again)."""
    compare = load_compare()
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    pkg = tmp_path / "tree" / "src" / "sounding"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    peers = tmp_path / "tree" / "bench" / ".peer-venvs" / "lib"  # a peer's venv: left alone
    peers.mkdir(parents=True)
    (peers / "broken.py").write_text("def (:\n")
    compare.compile_tree(sys.executable, tmp_path / "tree")
    assert list((pkg / "__pycache__").glob("__init__.*.pyc"))
    assert not (peers / "__pycache__").exists()
    (pkg / "broken.py").write_text("def (:\n")  # our own code that does not compile stops it
    with pytest.raises(SystemExit, match=r"broken\.py"):
        compare.compile_tree(sys.executable, tmp_path / "tree")
    (pkg / "broken.py").unlink()
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json, os\n"
        "print(json.dumps({'set': int('PYTHONDONTWRITEBYTECODE' in os.environ)}))\n"
    )
    ran = compare.run_once([sys.executable, str(probe)], tmp_path / "tree", {}, timeout=60)
    assert ran["ok"] and json.loads(ran["stdout"]) == {"set": 0}
