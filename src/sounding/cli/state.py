"""Opening the services for one CLI command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sounding.config import Settings
from sounding.domain.auth import Principal, Role, local_operator
from sounding.logs import configure_logging
from sounding.services.context import Context, build_context


def settings(home: Path | None = None) -> Settings:
    s = Settings()
    if home is not None:
        s = s.model_copy(update={"home": home.expanduser().resolve()})
    return s


def describe_store(s: Settings) -> str:
    """The store a command read, as a person can recognise it (no password)."""
    from sqlalchemy.engine import make_url

    return make_url(s.resolved_database_url()).render_as_string(hide_password=True)


def acting_as(user: str | None, role: Role) -> Principal:
    """Who a command acts as: the local operator, or with ``--as NAME`` that user in ``role``
    (a bad name exits with the usage code and one line)."""
    from sounding.cli.output import EXIT_USAGE, fail

    if user is None:
        return local_operator()
    name = user.strip()
    if not name or len(name) > 200:
        fail("--as needs a user name (1..200 characters)", EXIT_USAGE)
    return Principal(name, role)


@contextmanager
def open_context(home: Path | None = None) -> Iterator[Context]:
    s = settings(home)
    configure_logging("WARNING" if s.log_level.upper() == "INFO" else s.log_level)
    ctx = build_context(s)
    try:
        yield ctx
    finally:
        ctx.close()
