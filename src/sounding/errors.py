"""The one exception tree of Sounding.

Every error a user can see is one of these. Exactly one place maps them to HTTP statuses
(``sounding.api.errors``) and one to CLI exit codes (``sounding.cli.output``).

::

    SoundingError                      base; ``message`` + structured ``details``
    ├── InvalidInputError              the request or file is wrong (HTTP 422, exit 2)
    │   ├── ValidationFailed           field-level problems, ``details["errors"]``
    │   └── TooLargeError              over a configured size limit, ``details["limit"]`` (413)
    ├── NotFoundError                  a named thing does not exist (HTTP 404, exit 1)
    ├── ConflictError                  it exists already / state forbids it (HTTP 409, exit 1)
    │   └── PreconditionFailedError    it changed since the caller read it (If-Match, HTTP 412)
    ├── AuthenticationError            no or bad credentials (HTTP 401, exit 1)
    ├── PermissionDeniedError          authenticated but not allowed (HTTP 403, exit 1)
    ├── SourceError                    talking to a data source failed (HTTP 502/400, exit 1)
    │   ├── ConnectionFailedError      cannot connect (unreachable host, bad credentials)
    │   ├── UnsupportedSourceError     unknown kind, malformed URL, or a feature the kind lacks
    │   │                              (HTTP 422, exit 2)
    │   ├── ObjectScanError            one object (table, view, file) could not be read
    │   └── SourceTimeoutError         a statement got no answer in time (HTTP 504, exit 1)
    ├── ParseError                     SQL or a spec file does not parse (HTTP 422, exit 2)
    ├── StoreError                     the metadata store failed (HTTP 503, exit 1)
    │   ├── StoreUnavailableError      it refuses writes: read-only file or database (HTTP 503)
    │   ├── StoreFullError             no room left: disk or size cap full (HTTP 507)
    │   └── StoreConnectionLostError   the database dropped the connection mid-request (HTTP 503)
    ├── RateLimitedError               too many failed logins (HTTP 429 + Retry-After)
    └── BusyError                      too many heavy requests at once (HTTP 503 + Retry-After)
"""

from __future__ import annotations

from typing import Any

from sounding.domain.credentials import redact


class SoundingError(Exception):
    """Base of every Sounding error. ``details`` carries structured context (ids, names)."""

    def __init__(self, message: str, **details: Any) -> None:
        # every message may quote a URL or a driver's error: no credential leaves in one
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = {
            k: redact(v) if isinstance(v, str) else v for k, v in details.items()
        }

    def __str__(self) -> str:
        return self.message


class InvalidInputError(SoundingError):
    """The caller sent something malformed; the message says what to fix."""


class ValidationFailedError(InvalidInputError):
    """Several field-level problems; ``details["errors"]`` lists ``{"loc", "msg"}`` items."""


class TooLargeError(InvalidInputError):
    """The input is over a configured size limit; ``details`` names the ``limit`` and the
    ``setting`` that raises it."""


class NotFoundError(SoundingError):
    """A named thing (source, asset, user, scan) does not exist."""


class ConflictError(SoundingError):
    """The thing exists already, or its current state forbids the operation."""


class PreconditionFailedError(ConflictError):
    """A conditional write (``If-Match``) named a version that is no longer current;
    ``details["etag"]`` is the current one (None when the thing no longer exists)."""


class AuthenticationError(SoundingError):
    """Missing, malformed or unknown credentials."""


class PermissionDeniedError(SoundingError):
    """The caller is known but lacks the permission named in ``details["permission"]``."""


class SourceError(SoundingError):
    """A data source could not be read."""


class ConnectionFailedError(SourceError):
    """Could not connect to a source (unreachable host, refused, bad credentials)."""


class UnsupportedSourceError(SourceError):
    """The URL names no known source kind, or is malformed, or the kind cannot do what was
    asked (a query log of SQLite)."""


class ObjectScanError(SourceError):
    """One object of a source (a table, view or file) could not be read."""


class SourceTimeoutError(SourceError):
    """A statement got no answer within the source's statement timeout.

    ``details["timeout_seconds"]``; ``details["answered"]`` is True when the engine cancelled
    the statement (the source is up but slow), False when nothing came back at all.
    """


class ParseError(SoundingError):
    """Text (SQL, YAML, JSON) does not parse; ``details`` may hold line and column."""


class StoreError(SoundingError):
    """The metadata store failed."""


class StoreUnavailableError(StoreError):
    """The store refuses writes (a read-only file, database or transaction); reads work."""


class StoreConnectionLostError(StoreError):
    """The database dropped the connection a statement ran on (a restart, a failover); the
    pool was renewed, so the same work retried gets a new connection."""


class StoreFullError(StoreError):
    """The store has no room for the write (disk full, or its size cap reached)."""


class RateLimitedError(SoundingError):
    """Too many attempts (failed logins) from one user or address; retry after
    ``details["retry_after"]`` seconds (HTTP 429 + Retry-After)."""


class BusyError(SoundingError):
    """Too many requests of a costly kind are running; retry after ``details["retry_after"]``
    seconds."""
