"""Users and API tokens (tokens are stored as SHA-256 hashes only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.accounts.tables import api_tokens, ui_sessions, users
from sounding.store.db import Database
from sounding.store.repos import utcnow


def insert_user(conn: Connection, name: str, role: str) -> int:
    result = conn.execute(
        sa.insert(users)
        .values(name=name, role=role, created_at=utcnow(), disabled=False)
        .returning(users.c.id)
    )
    return int(result.scalar_one())


def get_user(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.name == name)).mappings().first()
    return dict(row) if row else None


def count_users(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def list_users(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = count_users(conn)
    rows = conn.execute(sa.select(users).order_by(users.c.name).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], total


def update_user(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def insert_token(
    conn: Connection,
    user_id: int,
    token_hash: str,
    prefix: str,
    name: str,
    expires_at: datetime | None = None,
) -> int:
    result = conn.execute(
        sa.insert(api_tokens)
        .values(
            user_id=user_id,
            token_hash=token_hash,
            prefix=prefix,
            name=name,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        .returning(api_tokens.c.id)
    )
    return int(result.scalar_one())


def get_token(conn: Connection, token_id: int) -> dict[str, Any] | None:
    """A token (live or not) with its user's name and role."""
    query = (
        sa.select(api_tokens, users.c.name.label("user"), users.c.role)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.id == token_id)
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def mark_replaced(conn: Connection, token_id: int, new_id: int) -> None:
    conn.execute(
        sa.update(api_tokens)
        .where(api_tokens.c.id == token_id)
        .values(revoked_at=utcnow(), replaced_by=new_id)
    )


# built once (issue 20): every API request looks its token up, and building the statement
# and its cache key each time was most of that look-up's cost
_FIND_TOKEN = (
    sa.select(
        api_tokens.c.id.label("token_id"),
        api_tokens.c.last_used_at,
        api_tokens.c.expires_at,
        users.c.id.label("user_id"),
        users.c.name,
        users.c.role,
    )
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(
        api_tokens.c.token_hash == sa.bindparam("token_hash"),
        api_tokens.c.revoked_at.is_(None),
        users.c.disabled.is_(False),
    )
)


def find_token(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The live token with this hash joined to its enabled user, or None."""
    row = conn.execute(_FIND_TOKEN, {"token_hash": token_hash}).mappings().first()
    return dict(row) if row else None


def find_token_now(db: Database, token_hash: str) -> dict[str, Any] | None:
    """:func:`find_token` on the SQLite store's event-loop connection
    (``Database.read_one_now``)."""
    return db.read_one_now(_FIND_TOKEN, {"token_hash": token_hash})


def touch_token(conn: Connection, token_id: int, when: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=when))


def list_tokens(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(
            api_tokens.c.id,
            api_tokens.c.prefix,
            api_tokens.c.name,
            api_tokens.c.created_at,
            api_tokens.c.last_used_at,
            api_tokens.c.expires_at,
            api_tokens.c.revoked_at,
            api_tokens.c.replaced_by,
        )
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.id)
    )
    return [dict(r) for r in rows.mappings()]


def list_all_tokens(
    conn: Connection, limit: int, offset: int, *, live_only: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """Every user's tokens, newest first, each with its user's name and role."""
    query = sa.select(
        api_tokens.c.id,
        api_tokens.c.prefix,
        api_tokens.c.name,
        api_tokens.c.created_at,
        api_tokens.c.last_used_at,
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
        api_tokens.c.replaced_by,
        users.c.name.label("user"),
        users.c.role,
    ).join(users, users.c.id == api_tokens.c.user_id)
    if live_only:
        query = query.where(api_tokens.c.revoked_at.is_(None))
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(api_tokens.c.id.desc()).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


def revoke_token(conn: Connection, token_id: int) -> int:
    result = conn.execute(
        sa.update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)


# -- passwords and web UI sessions (accounts_0002) ------------------------------------------


def password_row(conn: Connection, name: str) -> dict[str, Any] | None:
    """The enabled-or-not user ``name`` with its password hash, or None."""
    row = (
        conn.execute(
            sa.select(
                users.c.id, users.c.name, users.c.role, users.c.disabled, users.c.password_hash
            ).where(users.c.name == name)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def set_password_hash(conn: Connection, user_id: int, password_hash: str | None) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def insert_session(
    conn: Connection, session_hash: str, user_id: int, csrf: str, expires_at: datetime
) -> None:
    now = utcnow()
    conn.execute(
        sa.insert(ui_sessions).values(
            session_hash=session_hash,
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires_at,
            last_seen_at=now,
        )
    )


def find_session(conn: Connection, session_hash: str) -> dict[str, Any] | None:
    """The session with this hash joined to its enabled user, or None."""
    query = (
        sa.select(
            ui_sessions.c.id.label("session_id"),
            ui_sessions.c.csrf_token,
            ui_sessions.c.expires_at,
            ui_sessions.c.last_seen_at,
            users.c.id.label("user_id"),
            users.c.name,
            users.c.role,
        )
        .join(users, users.c.id == ui_sessions.c.user_id)
        .where(ui_sessions.c.session_hash == session_hash, users.c.disabled.is_(False))
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def touch_session(conn: Connection, session_id: int, when: datetime, expires_at: datetime) -> None:
    conn.execute(
        sa.update(ui_sessions)
        .where(ui_sessions.c.id == session_id)
        .values(last_seen_at=when, expires_at=expires_at)
    )


def delete_session(conn: Connection, session_hash: str) -> int:
    result = conn.execute(sa.delete(ui_sessions).where(ui_sessions.c.session_hash == session_hash))
    return int(result.rowcount)


def delete_user_sessions(conn: Connection, user_id: int) -> int:
    result = conn.execute(sa.delete(ui_sessions).where(ui_sessions.c.user_id == user_id))
    return int(result.rowcount)


def purge_sessions(conn: Connection, now: datetime) -> int:
    result = conn.execute(sa.delete(ui_sessions).where(ui_sessions.c.expires_at <= now))
    return int(result.rowcount)
