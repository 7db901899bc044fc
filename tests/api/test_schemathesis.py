"""Schemathesis over the whole OpenAPI document of a real `sounding serve`: no server errors,
no status code, media type or header the document does not declare, and no answer that
breaks its declared response schema.

A fresh server and store with a scanned SQLite sample source, so generated requests reach
real code paths; each operation gets up to ten generated requests (valid and invalid ones) as
an admin and up to five as a viewer (whose writes stop at the permission check), besides
schemathesis's coverage cases. Operations that would delete or disable the identities the run
uses (users, tokens) are left out. The run must answer no 5xx at all. About 16,000 requests;
50 s as admin and 30 s as viewer on an idle machine.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.engine import events  # noqa: E402
from schemathesis.engine.recorder import ScenarioRecorder  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from sounding.testing.server import ServerProcess  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = {"admin": 10, "viewer": 5}
# no 5xx; every status, media type and header answered is one the document declares; and
# every JSON body matches the response schema its operation declares (all of them declare one)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
)


class Fuzzed:
    """The server under test, its tokens, and what it printed (drained so it never blocks)."""

    def __init__(self, server: ServerProcess, viewer_token: str) -> None:
        self.server = server
        self.viewer_token = viewer_token

    @property
    def log(self) -> list[str]:
        """What the server printed (``ServerProcess`` reads it so it never blocks)."""
        return list(self.server.output)


def _seed(base: str, headers: dict[str, str], corpora: Path, tmp: Path) -> str:
    """A scanned SQLite source, and a viewer; returns the viewer's token."""
    db = tmp / "chinook.sqlite"
    shutil.copy(corpora / "sample_dbs" / "chinook.sqlite", db)
    api = f"{base}/api/v1"
    added = httpx.post(
        f"{api}/sources", json={"name": "chinook", "url": f"sqlite:///{db}"}, headers=headers
    )
    assert added.status_code == 201, added.text
    scan = httpx.post(f"{api}/scans", json={"source": "chinook"}, headers=headers).json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = httpx.get(f"{api}/scans/{scan['id']}", headers=headers).json()["status"]
        if status not in ("pending", "running"):
            break
        time.sleep(0.2)
    assert status == "completed"
    user = httpx.post(f"{api}/users", json={"name": "viewer1", "role": "viewer"}, headers=headers)
    assert user.status_code == 201, user.text
    token = httpx.post(f"{api}/users/viewer1/tokens", json={}, headers=headers)
    assert token.status_code == 201, token.text
    return str(token.json()["token"])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[Fuzzed]:
    tmp = tmp_path_factory.mktemp("fuzz")
    server = ServerProcess(tmp / "home")
    server.start()
    try:
        found = Fuzzed(server, "")
        found.viewer_token = _seed(server.base, server.headers, corpora, tmp)
        yield found
    finally:
        server.stop()


# the run's own identities: deleting, disabling or demoting them would end its access
EXCLUDED = (
    ("DELETE", r"^/api/v1/(users/\{name\}|tokens/\{token_id\})$"),
    ("PATCH", r"^/api/v1/users/\{name\}$"),
)


def _server_errors(base: str, token: str, examples: int) -> tuple[list[str], int]:
    """Run schemathesis as ``token``; returns (one line per failed check, requests made)."""
    config = SchemathesisConfig()
    config.update(seed=20261204, max_failures=None)  # the same cases every run: reproducible
    project = config.projects.override
    project.update(headers={"Authorization": f"Bearer {token}"}, workers=1, request_timeout=30)
    project.checks.update(included_check_names=list(CHECKS))
    project.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=examples,
        deterministic=True,
    )
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", config=config)
    for method, path in EXCLUDED:
        schema = schema.exclude(method=method, path_regex=path)
    found: list[str] = []
    requests = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            found.extend(_failures(event.recorder))
        elif isinstance(event, events.FatalError | events.NonFatalError):
            found.append(f"schemathesis could not run: {event.info.format()}")
    return found, requests


def _failures(recorder: ScenarioRecorder) -> list[str]:
    out = []
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction else None
            status = response.status_code if response else "no answer"
            out.append(f"{check.name} {status}: {check.failure_info.code_sample}")
    return out


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_no_server_errors_and_only_declared_answers(fuzzed: Fuzzed, role: str) -> None:
    token = fuzzed.server.token if role == "admin" else fuzzed.viewer_token
    started = time.monotonic()
    errors, requests = _server_errors(fuzzed.server.base, token, EXAMPLES_PER_OPERATION[role])
    elapsed = time.monotonic() - started
    print(f"schemathesis as {role}: {requests} requests in {elapsed:.0f} s")
    assert requests > 500  # it reached the API rather than stopping at the door
    assert not errors, "\n".join([*sorted(set(errors)), "server log:", *fuzzed.log[-60:]])
