"""uvicorn's logging for ``sounding serve``, with every line redacted.

uvicorn logs through its own handlers: its error log carries tracebacks of unhandled errors
(a driver's message may quote a DSN) and its access log the request line with its query
string (a WebSocket authenticates with ``?token=``). Both formatters here run the one
credential redaction over each formatted line.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

from sounding.domain.credentials import redact


class RedactedDefaultFormatter(DefaultFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactedAccessFormatter(AccessFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with the redacting formatters."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["()"] = RedactedDefaultFormatter
    config["formatters"]["access"]["()"] = RedactedAccessFormatter
    return config
