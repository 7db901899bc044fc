"""Audit the installed dependencies for known vulnerabilities (`make audit`, run by `make test`).

Runs ``pip-audit`` over the environment of the interpreter that runs this script (the project's
virtualenv), skipping the editable ``sounding`` itself, against PyPI's vulnerability data (the
JSON API of each installed release: the only service needed is PyPI).

Exit codes:

* 0: every installed distribution was audited; none has a known vulnerability with a fixed
  release (vulnerabilities without a fix are listed as warnings);
* 1: at least one has a vulnerability fixed in a later release (raise the lower bound in
  ``pyproject.toml`` or upgrade);
* 2: the audit did not complete: the vulnerability service was unreachable, or a distribution
  could not be audited. Never a silent pass.

``--allow-unavailable`` (what ``make test`` uses) turns only exit 2 into 0, after printing a
warning that names what could not be checked: a machine whose package mirror lacks PyPI's
vulnerability data still runs the test suite, and says so; a fixable vulnerability still fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SERVICE = "pypi"
TIMEOUT_SECONDS = 900
EDITABLE = "marked as editable"  # pip-audit's reason for the distributions it skips on purpose


def run_pip_audit(report: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--vulnerability-service",
        SERVICE,
        "--local",  # this environment's distributions, not the user's or system site
        "--skip-editable",  # sounding itself, installed with `pip install -e`
        # not --strict: it would also abort on the editable skip; judge() fails any other
        "--progress-spinner",
        "off",
        "--desc",
        "off",
        "--format",
        "json",
        "--output",
        str(report),
    ]
    return subprocess.run(  # noqa: S603 (our own interpreter and a fixed command)
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )


def judge(data: dict[str, Any]) -> tuple[int, list[str]]:
    """Exit code and lines to print for a pip-audit JSON report."""
    deps = data.get("dependencies") or []
    skipped = [d for d in deps if d.get("skip_reason") and EDITABLE not in d["skip_reason"]]
    if skipped:
        lines = [f"audit: {d['name']}: {d['skip_reason']}" for d in skipped[:10]]
        return 2, [
            *lines,
            f"audit: FAILED: {len(skipped)} of {len(deps)} distribution(s) not audited (PyPI's "
            "per-release JSON API, https://pypi.org/pypi/NAME/VERSION/json, must answer)",
        ]
    fixable, unfixed = [], []
    for dep in deps:
        for vuln in dep.get("vulns") or []:
            line = f"{dep['name']} {dep['version']}: {vuln['id']}"
            if vuln.get("fix_versions"):
                fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                unfixed.append(f"{line} (no fixed release yet)")
    lines = [f"audit: warning: {u}" for u in unfixed] + [f"audit: {f}" for f in fixable]
    if fixable:
        return 1, [*lines, f"audit: FAILED: {len(fixable)} known vulnerability(ies) with a fix"]
    return 0, [*lines, f"audit: {len(deps)} distributions audited; no fixable vulnerability"]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        try:
            done = run_pip_audit(report)
        except subprocess.TimeoutExpired:
            print(f"audit: FAILED: pip-audit ran over {TIMEOUT_SECONDS} s", file=sys.stderr)
            return 2
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            print(
                "audit: FAILED: the vulnerability check did not complete "
                f"(pip-audit exit {done.returncode}; is pypi.org reachable?)\n{tail}",
                file=sys.stderr,
            )
            return 2
    if done.returncode not in (0, 1):  # 1 is "vulnerabilities found", judged below
        print(f"audit: FAILED: pip-audit exit {done.returncode}\n{done.stderr}", file=sys.stderr)
        return 2
    code, lines = judge(data)
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    code = main()
    if code == 2 and "--allow-unavailable" in sys.argv[1:]:
        print(
            "audit: WARNING: the dependency audit could not run on this machine (above); "
            "nothing was checked. `make audit` fails until the vulnerability data is reachable.",
            file=sys.stderr,
        )
        code = 0
    sys.exit(code)
