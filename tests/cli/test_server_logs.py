"""`sounding serve`'s uvicorn logs go through the credential redaction too."""

from __future__ import annotations

import logging

from sounding.cli.server_logs import RedactedAccessFormatter, RedactedDefaultFormatter, log_config


def _record(name: str, msg: str, args: tuple[object, ...]) -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, None)


def test_access_and_error_lines_are_redacted() -> None:
    config = log_config()
    assert config["formatters"]["access"]["()"] is RedactedAccessFormatter
    access = RedactedAccessFormatter(config["formatters"]["access"]["fmt"], use_colors=False)
    line = access.format(
        _record(
            "uvicorn.access",
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5", "GET", "/api/v1/executions/1/ws?token=snd_Secret9", "1.1", 101),
        )
    )
    assert "snd_Secret9" not in line and "token=***" in line
    error = RedactedDefaultFormatter("%(message)s", use_colors=False)
    text = error.format(_record("uvicorn.error", "failed: %s", ("dbname=d password=pw7 host=h",)))
    assert text == "failed: dbname=d password=*** host=h"
