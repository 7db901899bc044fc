"""The one redaction: every credential form a URL or a driver's message can carry."""

from __future__ import annotations

import logging

import pytest

from sounding.domain.credentials import redact, secret_values
from sounding.errors import ConnectionFailedError
from sounding.logs import RedactingFormatter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db?password=S1", "postgresql://u@h/db?password=***"),
        ("mysql://u@h/db?pwd=S1&charset=utf8", "mysql://u@h/db?pwd=***&charset=utf8"),
        (
            "postgresql://u@h/db?sslmode=verify-full&sslpassword=S1&sslkey=/k/client.key",
            "postgresql://u@h/db?sslmode=verify-full&sslpassword=***&sslkey=***",
        ),
        ("s3://b/p?access_token=T&region=eu", "s3://b/p?access_token=***&region=eu"),
        ("https://a.blob/c?sv=1&sig=AbC%2B&se=2", "https://a.blob/c?sv=1&sig=***&se=2"),
        (
            "x://h/?token=T&secret=S&api_key=K&key=K2&sas=Z",
            "x://h/?token=***&secret=***&api_key=***&key=***&sas=***",
        ),
        ("host=h port=5432 password=S1 dbname=d", "host=h port=5432 password=*** dbname=d"),
        ("host=h password='with spaces' user=u", "host=h password=*** user=u"),
        ("mysql://root:p@ss@host/db", "mysql://root:***@host/db"),
        # nothing secret: unchanged (a hive partition path is not a query parameter)
        ("duckdb:///data/key=value/part.parquet", "duckdb:///data/key=value/part.parquet"),
        ("sqlite:///shop.db?mode=ro", "sqlite:///shop.db?mode=ro"),
        # SQL quoted in an error keeps its comparisons readable
        ("near: WHERE key = 'a' AND token = 'b'", "near: WHERE key = 'a' AND token = 'b'"),
    ],
)
def test_every_credential_form_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(redact(text)) == expected  # idempotent


def test_bare_values_a_driver_repeats_are_scrubbed() -> None:
    url = "postgresql://u:p%40ss@h/db?password=S3cr3t"
    assert set(secret_values(url)) == {"p%40ss", "p@ss", "S3cr3t"}
    message = 'FATAL: password "S3cr3t" and p@ss rejected'
    assert redact(message, secret_values(url)) == 'FATAL: password "***" and *** rejected'


def test_errors_and_log_lines_carry_no_credential() -> None:
    exc = ConnectionFailedError(
        "Failed to connect: invalid dsn host=h password=S1 user=u", url="pg://u:pw@h/db"
    )
    assert "S1" not in exc.message and "pw@" not in exc.details["url"]
    record = logging.LogRecord(
        "sounding.x", logging.ERROR, __file__, 1, "opening %s", ("pg://u@h/db?token=T0K3N",), None
    )
    assert "T0K3N" not in RedactingFormatter("%(message)s").format(record)
