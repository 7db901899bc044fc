"""What is too powerful about the login a SQL source connects as.

Quality rules run SQL a steward wrote (``custom_sql``) on the source, inside a read-only
transaction. That does not stop a superuser: PostgreSQL's ``pg_read_file``,
``pg_read_server_files``/``COPY ... FROM PROGRAM`` and MariaDB's ``LOAD_FILE`` read files of the
database server (or run programs on it) without writing anything. Sounding cannot take those
rights away, so it says so when a source is added or tested: each finding is one sentence the
API returns in ``warnings`` and the CLI prints. docs/connectors.md shows the GRANTs of a
read-only login.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

logger = logging.getLogger(__name__)

ADVICE = (
    "custom SQL of quality rules runs as this login; connect as a read-only, non-superuser "
    "role (see docs/connectors.md, 'A read-only login')"
)

_PG_ROLES = """
SELECT r.rolname, r.rolsuper,
  pg_has_role(current_user, 'pg_read_server_files', 'MEMBER'),
  pg_has_role(current_user, 'pg_write_server_files', 'MEMBER'),
  pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')
FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
"""
_PG_FILE_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")


def postgres_login_warnings(conn: sa.Connection) -> list[str]:
    row = conn.execute(sa.text(_PG_ROLES)).one_or_none()
    if row is None:
        return []
    name, superuser, *memberships = row
    if superuser:
        return [
            f"The login {name!r} is a PostgreSQL superuser: it can read any file of the "
            f"database server (pg_read_file) even in a read-only transaction; {ADVICE}"
        ]
    granted = [role for role, member in zip(_PG_FILE_ROLES, memberships, strict=True) if member]
    if granted:
        return [
            f"The login {name!r} is a member of {', '.join(granted)}: it can read files of the "
            f"database server or run programs on it; {ADVICE}"
        ]
    return []


_GLOBAL_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON \*\.\* TO ", re.IGNORECASE)


def mysql_login_warnings(conn: sa.Connection) -> list[str]:
    """FILE (``LOAD_FILE``, ``SELECT ... INTO OUTFILE``) or SUPER among the global grants."""
    who = conn.execute(sa.text("SELECT CURRENT_USER()")).scalar_one()
    grants = [str(r[0]) for r in conn.execute(sa.text("SHOW GRANTS FOR CURRENT_USER()"))]
    found: set[str] = set()
    for grant in grants:
        match = _GLOBAL_GRANT.match(grant)
        if match is None:
            continue
        privileges = {p.strip().upper() for p in match["privileges"].split(",")}
        if "ALL PRIVILEGES" in privileges or "ALL" in privileges:
            found |= {"FILE", "SUPER"}
        found |= privileges & {"FILE", "SUPER"}
    if not found:
        return []
    return [
        f"The login {who!r} has the global privilege {' and '.join(sorted(found))}: it can read "
        f"files of the database server (LOAD_FILE) and bypass read-only settings; {ADVICE}"
    ]
