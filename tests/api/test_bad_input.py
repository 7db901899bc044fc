"""Bad input through a real server: every case answers 4xx naming what to fix, never 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sounding.testing.server import ServerProcess
from tests.factories import sqlite_source

BIG = 2**64


class Client:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    @property
    def log(self) -> list[str]:
        """What the server printed (``ServerProcess`` reads it so it never blocks)."""
        return list(self.server.output)

    def send(self, method: str, path: str, body: Any = None, raw: str | None = None) -> Any:
        """``raw`` is sent as is (JSON text with escapes such as \\ud800 that Python's own
        encoder would not produce, or YAML)."""
        content = raw.encode() if raw is not None else None
        headers = {**self.server.headers, "Content-Type": "application/json"}
        return httpx.request(
            method,
            f"{self.server.base}/api/v1{path}",
            json=body if raw is None else None,
            content=content,
            headers=headers,
            timeout=30,
        )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    tmp = tmp_path_factory.mktemp("bad-input")
    server = ServerProcess(tmp / "home")
    server.start()
    try:
        found = Client(server)
        url = sqlite_source(tmp / "shop.db")
        assert found.send("POST", "/sources", {"name": "shop", "url": url}).status_code == 201
        scan = found.send("POST", "/scans", {"source": "shop"})
        assert scan.status_code == 202
        yield found
    finally:
        server.stop()


def _error(resp: Any, status: int = 422) -> str:
    assert resp.status_code == status, resp.text
    message: str = resp.json()["error"]["message"]
    return message


def test_integers_beyond_64_bits_in_a_body_name_the_field(client: Client) -> None:
    big = client.send(
        "POST",
        "/sources",
        raw=f'{{"name": "x", "url": "sqlite:///x.db", "options": {{"sample": {BIG}}}}}',
    )
    assert "body.options: sample: integer out of range" in _error(big)
    rule = client.send(
        "POST",
        "/quality/rules",
        raw=f'{{"asset": "1", "kind": "row_count", "params": {{"min": {-BIG}}}}}',
    )
    assert "body.params: min: integer out of range" in _error(rule)


def test_an_id_beyond_64_bits_in_a_path_is_a_client_error(client: Client) -> None:
    resp = client.send("GET", f"/quality/rules/{BIG}/results")
    assert resp.status_code in (404, 422), resp.text  # never the store's OverflowError


def test_an_unknown_execution_status_lists_the_known_ones(client: Client) -> None:
    message = _error(client.send("GET", "/executions?status=null"))
    assert "query.status" in message and "'completed'" in message


def test_non_ascii_digits_are_not_ids(client: Client) -> None:
    assert "not '²'" in _error(client.send("GET", "/glossary/terms/%C2%B2"))
    assert "Asset '²' not found" in _error(client.send("GET", "/assets/%C2%B2"), 404)
    edge = client.send("POST", "/lineage/edges", {"source": "1", "target": "²"})
    assert "Asset '²' not found" in _error(edge, 404)


@pytest.mark.parametrize(
    ("method", "path", "raw", "where"),
    [
        ("POST", "/sources", '{"name": "a\\ud800", "url": "sqlite:///a.db"}', "body.name"),
        ("PATCH", "/assets/1", '{"description": "x\\udfff"}', "body.description"),
        ("POST", "/glossary/terms", '{"name": "T", "synonyms": ["\\ud800"]}', "body.synonyms"),
        ("PATCH", "/assets/1", '{"custom_properties": {"k\\ud800": 1}}', "body.custom_properties"),
        ("POST", "/lineage/parse", '{"sql": "select \\ud800"}', "body.sql"),
    ],
)
def test_lone_surrogates_in_any_text_are_refused(
    client: Client, method: str, path: str, raw: str, where: str
) -> None:
    message = _error(client.send(method, path, raw=raw))
    assert where in message and "lone UTF-16 surrogate" in message


def test_nul_and_nan_are_refused_in_bodies(client: Client) -> None:
    nul = client.send("POST", "/sources", raw='{"name": "n", "url": "sqlite:///a\\u0000b.db"}')
    assert "body.url" in _error(nul) and "NUL" in _error(nul)
    nan = client.send("PATCH", "/assets/1", raw='{"custom_properties": {"a": NaN}}')
    assert "NaN and Infinity are not numbers" in _error(nan)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@db.example:abc/x", "port must be a number from 1 to 65535"),
        ("postgresql://u@[::1/x", "port must be a number from 1 to 65535"),
        ("mysql://u@h:99999/x", "Port 99999 is out of range"),
        ("postgresql://u@h/x\x01", "control character"),
    ],
)
def test_malformed_source_urls_are_refused_on_add_and_update(
    client: Client, url: str, expected: str
) -> None:
    assert expected in _error(client.send("POST", "/sources", {"name": "bad", "url": url}))
    assert expected in _error(client.send("PATCH", "/sources/shop", {"url": url}))
    assert client.send("GET", "/sources/bad").status_code == 404  # nothing half-written


def test_a_csv_field_over_the_limit_names_its_line(client: Client) -> None:
    content = "path,definition\n/Short,fine\n/Long," + "x" * 140_000 + "\n"
    resp = client.send("POST", "/glossary/terms/import", {"format": "csv", "content": content})
    assert "Glossary CSV line 3: a field is longer than 131072 characters" in _error(resp)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/quality/rules/apply", {"yaml": "source: shop\ntables: " + "[" * 3000 + "]" * 3000}),
        ("/quality/rules/apply", {"yaml": "source: shop\ntables: &t\n  orders: [*t]\n"}),
        ("/glossary/terms/import", {"format": "json", "content": "[" * 50_000 + "]" * 50_000}),
        ("/orchestrations", {"name": "w", "steps": json.loads("[" * 200 + "]" * 200)}),
    ],
)
def test_documents_nested_too_deeply_are_refused(client: Client, path: str, body: Any) -> None:
    message = _error(client.send("POST", path, body))
    # nesting in the body itself is refused by the request guard before any route parses it;
    # nesting inside a document sent as text, by the one document parser
    assert "nested deeper than 64 levels" in message or "nests deeper than 64 levels" in message


def test_yaml_framework_nested_too_deeply_is_refused(client: Client) -> None:
    resp = httpx.post(
        f"{client.server.base}/api/v1/compliance/frameworks",
        content="id: f\nrequirements: &r\n  - checks: *r\n",
        headers={**client.server.headers, "Content-Type": "application/yaml"},
    )
    assert "nested deeper than 64 levels (or a YAML alias contains itself)" in _error(resp)


def test_usage_ingest_from_a_source_without_a_query_log_says_what_to_do(client: Client) -> None:
    message = _error(client.send("POST", "/sources/shop/usage/ingest"))
    assert "keeps no query log" in message and "log file" in message


def test_no_case_reached_the_internal_error_handler(client: Client) -> None:
    """Runs last in the module: the server logged no unhandled error for any case above."""
    assert client.send("GET", "/sources/shop").status_code == 200
    assert not [line for line in client.log if "Unhandled error" in line or "Traceback" in line]


@pytest.mark.postgres
def test_values_postgresql_cannot_hold_are_client_errors(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The store's driver boundary: NUL in a path or query, and a number beyond 64 bits, reach
    PostgreSQL only to be refused there; each is a 422 saying so, not a 500."""
    server = ServerProcess(
        tmp_path_factory.mktemp("pg") / "home", env={"SOUNDING_DATABASE_URL": postgres_url}
    )
    server.start(timeout=60)
    try:
        client = Client(server)
        assert "cannot contain NUL" in _error(client.send("GET", "/sources/a%00b"))
        assert "cannot contain NUL" in _error(client.send("GET", "/assets?q=a%00"))
        assert client.send("GET", f"/quality/runs/{BIG}").status_code == 422
    finally:
        server.stop()
