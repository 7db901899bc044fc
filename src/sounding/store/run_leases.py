"""Execution leases in the metadata store: the engine's ``LeaseStore`` protocol
(``sounding.orchestration.leases``) over ``orchestration_servers`` and ``execution_leases``.

Every change of owner is a compare-and-set: a claim updates the lease only if its ``epoch``
is still the one the claimer read (and it has expired), bumping it, so of several servers
claiming one execution exactly one row count is 1. A lease is first made by an INSERT on
its primary key, which only one server can win likewise. Times are the servers' clocks (UTC):
keep them in sync (NTP) to well within the lease duration.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from sounding.domain.leases import Beat, Claimable, ServerIdentity
from sounding.domain.orchestration import UNFINISHED
from sounding.errors import ConflictError
from sounding.store.db import Database
from sounding.store.tables_orchestration import (
    execution_leases as leases,
)
from sounding.store.tables_orchestration import (
    executions,
    orchestration_servers,
)

_UNFINISHED = sorted(s.value for s in UNFINISHED)


class SqlLeases:
    """Leases of executions in the store (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def single_server(self) -> bool:
        return self.db.is_sqlite

    def register(self, me: ServerIdentity, now: datetime) -> None:
        with self.db.write() as conn:
            conn.execute(
                sa.insert(orchestration_servers).values(
                    id=me.id, host=me.host, pid=me.pid, started_at=now, heartbeat_at=now
                )
            )

    def acquire(self, me: str, execution_id: str, now: datetime, expires_at: datetime) -> None:
        values = {"owner_id": me, "expires_at": expires_at, "acquired_at": now,
                  "released_at": None, "request": None}  # fmt: skip
        try:
            with self.db.write() as conn:
                changed = conn.execute(
                    sa.update(leases)
                    .where(leases.c.execution_id == execution_id)
                    .values(epoch=leases.c.epoch + 1, previous_owner_id=leases.c.owner_id,
                            **values)
                ).rowcount  # fmt: skip
                if not changed:
                    conn.execute(
                        sa.insert(leases).values(execution_id=execution_id, epoch=1, **values)
                    )
        except sa.exc.IntegrityError as exc:
            raise ConflictError(
                f"Execution '{execution_id}' was claimed by another server at the same time",
                execution_id=execution_id,
            ) from exc

    def beat(
        self,
        me: str,
        now: datetime,
        expires_at: datetime,
        *,
        scan: bool,
        stale_before: datetime,
        force: bool = False,
    ) -> Beat:
        mine = (leases.c.owner_id == me) & leases.c.released_at.is_(None)
        with self.db.write() as conn:
            conn.execute(
                sa.update(orchestration_servers)
                .where(orchestration_servers.c.id == me)
                .values(heartbeat_at=now)
            )
            conn.execute(sa.update(leases).where(mine).values(expires_at=expires_at))
            rows = conn.execute(sa.select(leases.c.execution_id, leases.c.request).where(mine))
            owned = {row.execution_id: row.request for row in rows}
        found = Beat(owned=owned, at=now)
        if scan:
            found.claimable = self._claimable(me, now, stale_before, force)
        return found

    def _claimable(
        self, me: str, now: datetime, stale_before: datetime, force: bool
    ) -> list[Claimable]:
        joined = executions.outerjoin(leases, leases.c.execution_id == executions.c.id)
        if force:
            lapsed = leases.c.owner_id != me
            unleased: sa.ColumnElement[bool] = sa.true()
        else:
            lapsed = (leases.c.owner_id != me) & (
                (leases.c.expires_at < now) | leases.c.released_at.is_not(None)
            )
            unleased = executions.c.created_at < stale_before
        query = (
            sa.select(executions.c.id, leases.c.epoch, leases.c.owner_id)
            .select_from(joined)
            .where(executions.c.status.in_(_UNFINISHED))
            .where(
                sa.or_(
                    leases.c.execution_id.is_(None) & unleased,
                    leases.c.execution_id.is_not(None) & lapsed,
                )
            )
            .order_by(executions.c.pk)
        )
        with self.db.read() as conn:
            return [Claimable(r.id, r.epoch, r.owner_id) for r in conn.execute(query)]

    def claim(
        self, me: str, found: Claimable, now: datetime, expires_at: datetime, *, force: bool
    ) -> bool:
        values = {"owner_id": me, "expires_at": expires_at, "acquired_at": now,
                  "released_at": None}  # fmt: skip
        try:
            with self.db.write() as conn:
                if found.epoch is None:
                    conn.execute(
                        sa.insert(leases).values(
                            execution_id=found.execution_id, epoch=1, takeovers=1, **values
                        )
                    )
                    return True
                query = (
                    sa.update(leases)
                    .where(leases.c.execution_id == found.execution_id)
                    .where(leases.c.epoch == found.epoch)
                )
                if not force:
                    query = query.where(
                        (leases.c.expires_at < now) | leases.c.released_at.is_not(None)
                    )
                won = conn.execute(
                    query.values(epoch=leases.c.epoch + 1, previous_owner_id=leases.c.owner_id,
                                 takeovers=leases.c.takeovers + 1, **values)
                ).rowcount  # fmt: skip
                return bool(won == 1)
        except sa.exc.IntegrityError:  # another server made the lease first
            return False

    def release(self, me: str, execution_ids: list[str], now: datetime) -> None:
        if not execution_ids:
            return
        with self.db.write() as conn:
            conn.execute(
                sa.update(leases)
                .where(leases.c.owner_id == me)
                .where(leases.c.execution_id.in_(execution_ids))
                .values(released_at=now)
            )

    def request(self, execution_id: str, action: str) -> bool:
        with self.db.write() as conn:
            changed = conn.execute(
                sa.update(leases)
                .where(leases.c.execution_id == execution_id)
                .values(request=action)
            ).rowcount
        return bool(changed)

    def clear_request(self, execution_id: str, action: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                sa.update(leases)
                .where(leases.c.execution_id == execution_id)
                .where(leases.c.request == action)
                .values(request=None)
            )

    def stop(self, me: str, now: datetime) -> None:
        with self.db.write() as conn:
            conn.execute(
                sa.update(leases)
                .where(leases.c.owner_id == me)
                .where(leases.c.released_at.is_(None))
                .values(released_at=now)
            )
            conn.execute(
                sa.update(orchestration_servers)
                .where(orchestration_servers.c.id == me)
                .values(stopped_at=now)
            )
