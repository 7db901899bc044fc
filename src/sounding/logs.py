"""Logging set-up: handlers are installed here and nowhere else."""

from __future__ import annotations

import logging

from sounding.domain.credentials import redact


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes any credential (a URL's password, a secret query
    parameter or DSN keyword) from the line, tracebacks of driver errors included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str = "INFO") -> None:
    """Install one stderr handler on the ``sounding`` logger (idempotent)."""
    root = logging.getLogger("sounding")
    root.setLevel(level.upper())
    if not any(getattr(h, "_sounding", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._sounding = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # sqlglot warns on every statement it falls back to parsing as a Command; lineage reports
    # those statements itself, so its chatter would only repeat them
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
