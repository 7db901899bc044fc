"""Retention: delete the history that is past its kind's retention, in short batches.

Kinds (``domain.retention.RetentionKind``), each with its setting ``SOUNDING_RETENTION_<KIND>``:

- ``attempts``: task attempts and events of executions that finished before the cutoff (the
  execution and its steps stay, with their counts);
- ``executions``: executions that finished before the cutoff, with their steps, attempts,
  events and lease; a scan run keeps its record, its ``execution_id`` set to NULL;
- ``usage`` and ``audit``, and any kind a table is registered under: the rows of a
  :class:`~sounding.services.features.Prunable` older than the cutoff. The core registers the
  audit log (:data:`CORE_PRUNABLE`); a feature registers its own tables (``Feature.prunable``:
  the usage feature its daily counts and search log). A new table is one entry there.

Running, paused and queued executions are never touched. Every batch (at most
``SOUNDING_RETENTION_BATCH_SIZE`` rows) is its own write transaction through
``Database.write()``, followed by a short pause, so the engine's group commits and the API's
writes go in between: a prune never holds the store's writer for more than one batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.config import Settings
from sounding.domain.auth import Permission, Principal
from sounding.domain.quality import parse_duration
from sounding.domain.retention import (
    KindReport,
    KindSetting,
    PruneReport,
    RetentionKind,
    RetentionState,
    TableCount,
)
from sounding.errors import ConflictError
from sounding.services import features
from sounding.services.context import Context, RuntimePart
from sounding.services.features import Prunable
from sounding.store.repos import audit, utcnow
from sounding.store.repos import retention as repo
from sounding.store.tables import audit_log
from sounding.store.tables_delivery import deliveries
from sounding.store.tables_orchestration import execution_events, schedule_ticks, task_attempts

logger = logging.getLogger(__name__)

# between two batches the prune rests as long as the batch took (at least 5 ms): the store's
# writer is free for others, and a prune takes at most about half of one core
PAUSE_SECONDS = 0.005
EXECUTIONS_PER_CHUNK = 200  # executions whose attempts and events are deleted together
NEVER = "never"


def _finished_delivery() -> sa.ColumnElement[bool]:
    return deliveries.c.status.in_(("delivered", "failed"))


CORE_PRUNABLE: tuple[Prunable, ...] = (
    # the ticks a schedule claimed (one per scheduled execution), but each workflow's latest
    Prunable(RetentionKind.EXECUTIONS, lambda: schedule_ticks, "tick_at", repo.not_latest_tick),
    Prunable(RetentionKind.AUDIT, lambda: audit_log, "at"),
    # the delivery log: only finished deliveries (a pending one is still to be sent)
    Prunable(RetentionKind.ALERTS, lambda: deliveries, "created_at", _finished_delivery),
)


def _setting(settings: Settings, kind: str) -> str:
    value = getattr(settings, f"retention_{kind}", None)
    return str(value) if value is not None else NEVER


def kind_settings(settings: Settings) -> tuple[KindSetting, ...]:
    """Every kind's retention as set (``never``: kept forever)."""
    out = []
    for kind in RetentionKind:
        text = _setting(settings, kind.value)
        never = text.strip().lower() == NEVER
        seconds = None if never else parse_duration(text, f"SOUNDING_RETENTION_{kind.upper()}")
        out.append(KindSetting(kind.value, text, seconds))
    return tuple(out)


def interval_seconds(settings: Settings) -> float | None:
    """How often the server prunes; None when ``SOUNDING_RETENTION_INTERVAL`` is 0 or off."""
    text = settings.retention_interval.strip().lower()
    if text in ("0", "off"):
        return None
    return parse_duration(text, "SOUNDING_RETENTION_INTERVAL")


def _take_history(conn: Connection, *, table: sa.Table, ids: list[str], limit: int) -> int:
    return repo.take_history(conn, table, ids, limit)


class _Run:
    """One prune: counts (dry run) or deletes in batches, each its own transaction."""

    def __init__(self, ctx: Context, dry_run: bool, stop: threading.Event | None) -> None:
        self.ctx = ctx
        self.dry_run = dry_run
        self.batch = ctx.settings.retention_batch_size
        self.stop = stop
        self.batches = 0

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def repeat(self, take: Callable[[Connection], int]) -> int:
        """Call ``take`` in write transactions until it deletes nothing (or we stop)."""
        total = 0
        while not self.stopped():
            started = time.monotonic()
            with self.ctx.db.write() as conn:
                gone = take(conn)
            if not gone:
                break
            total += gone
            self.batches += 1
            time.sleep(max(PAUSE_SECONDS, time.monotonic() - started))
        return total

    def history(self, cutoff: datetime) -> list[TableCount]:
        """Attempts and events of the executions that finished before ``cutoff``: the
        executions are walked in chunks, and each chunk's rows are deleted in batches."""
        tables = (task_attempts, execution_events)
        if self.dry_run:
            with self.ctx.db.read() as conn:
                return [TableCount(t.name, repo.count_history(conn, t, cutoff)) for t in tables]
        totals = dict.fromkeys(tables, 0)
        after = 0
        while not self.stopped():
            with self.ctx.db.read() as conn:
                ids, after = repo.finished_chunk(conn, cutoff, after, EXECUTIONS_PER_CHUNK)
            if not ids:
                break
            for table in tables:
                take = partial(_take_history, table=table, ids=ids, limit=self.batch)
                totals[table] += self.repeat(take)
        return [TableCount(t.name, n) for t, n in totals.items()]

    def executions(self, cutoff: datetime, history_done: bool) -> list[TableCount]:
        """Old executions, after their attempts and events (unless the attempts kind already
        took them: ``history_done``, so a dry run does not count them twice)."""
        children = (
            [TableCount(t, 0) for t in ("task_attempts", "execution_events")]
            if history_done
            else self.history(cutoff)
        )
        if self.dry_run:
            with self.ctx.db.read() as conn:
                found, steps = repo.count_executions(conn, cutoff)
        else:
            found = steps = 0
            size = max(1, self.batch // 10)  # an execution holds a few steps

            def take(conn: Connection) -> int:
                nonlocal found, steps
                gone, gone_steps = repo.take_executions(conn, cutoff, size)
                found, steps = found + gone, steps + gone_steps
                return gone

            self.repeat(take)
        return [*children, TableCount("step_executions", steps), TableCount("executions", found)]

    def table(self, prunable: Prunable, cutoff: datetime) -> TableCount:
        table = prunable.table()
        where = repo.older_than(
            table, prunable.at, cutoff, prunable.only() if prunable.only else None
        )
        if self.dry_run:
            with self.ctx.db.read() as conn:
                return TableCount(table.name, repo.count_older(conn, table, where))
        rows = self.repeat(lambda c: repo.take_older(c, table, where, self.batch))
        return TableCount(table.name, rows)


def _pages(ctx: Context) -> tuple[int | None, int | None]:
    """(store bytes, free bytes) of a SQLite store; (None, None) on PostgreSQL."""
    if not ctx.db.is_sqlite:
        return None, None
    with ctx.db.read() as conn:
        return repo.sqlite_pages(conn)


def prune(
    ctx: Context,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    stop: threading.Event | None = None,
    actor: str = "system",
) -> PruneReport:
    """Delete (or with ``dry_run`` count) every kind's rows past its retention at ``now``.

    ``stop`` ends a prune between two batches (a server shutting down); what was deleted
    until then is reported. A prune that deleted rows writes one audit entry (``actor``)."""
    started_at = now or utcnow()
    clock = time.monotonic()
    run = _Run(ctx, dry_run, stop)
    settings = {s.kind: s for s in kind_settings(ctx.settings)}
    cutoffs = {
        kind: (None if s.seconds is None else started_at - timedelta(seconds=s.seconds))
        for kind, s in settings.items()
    }
    reports: dict[str, list[TableCount]] = {kind: [] for kind in settings}
    pages_before = _pages(ctx)
    attempts_cut = cutoffs[RetentionKind.ATTEMPTS]
    executions_cut = cutoffs[RetentionKind.EXECUTIONS]
    if attempts_cut is not None:
        reports[RetentionKind.ATTEMPTS] = run.history(attempts_cut)
    if executions_cut is not None:
        covered = attempts_cut is not None and attempts_cut >= executions_cut
        reports[RetentionKind.EXECUTIONS] = run.executions(executions_cut, covered)
    for prunable in (*CORE_PRUNABLE, *features.prunable()):
        cutoff = cutoffs.get(str(prunable.kind))
        if cutoff is not None:
            reports[str(prunable.kind)].append(run.table(prunable, cutoff))
    kinds = tuple(
        KindReport(kind, settings[kind].retention, cutoffs[kind], tuple(reports[kind]))
        for kind in settings
    )
    pages_after = _pages(ctx)
    report = PruneReport(
        dry_run=dry_run,
        started_at=started_at,
        seconds=round(time.monotonic() - clock, 3),
        batches=run.batches,
        kinds=kinds,
        store_bytes_before=pages_before[0],
        free_bytes_before=pages_before[1],
        store_bytes=pages_after[0],
        free_bytes=pages_after[1],
    )
    if not dry_run and report.rows:
        counts = {k.kind: {t.table: t.rows for t in k.tables if t.rows} for k in kinds}
        with ctx.db.write() as conn:
            audit.record(conn, actor, "retention.prune", None, None, {"deleted": counts})
    return report


def summary(report: PruneReport) -> str:
    """One line: what a prune deleted per kind."""
    verb = "would delete" if report.dry_run else "deleted"
    parts = [f"{k.kind} {k.rows}" for k in report.kinds if k.cutoff is not None]
    return (
        f"Retention {verb} {report.rows} row(s) ({', '.join(parts) or 'nothing set'}) "
        f"in {report.seconds:.1f} s, {report.batches} batch(es)"
    )


FIRST_RUN_SECONDS = 300.0  # a server's first prune: after start-up's own work has settled


class RetentionJob(RuntimePart):
    """The server's periodic prune (``ctx.part(RetentionJob)``, started by
    :meth:`Context.start`): a thread that prunes every ``SOUNDING_RETENTION_INTERVAL``, the
    first time 5 minutes after start (or one interval, if shorter). One prune at a time in a
    process: a prune asked for through the API while one runs is refused (409).
    :meth:`stop` ends a prune between two batches and the thread with it."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: PruneReport | None = None

    def start(self) -> None:
        interval = interval_seconds(self._ctx.settings)
        if interval is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="sounding-retention", daemon=True
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._busy.locked()

    def _loop(self, interval: float) -> None:
        wait = min(FIRST_RUN_SECONDS, interval)
        while not self._stop.wait(wait):
            wait = interval
            try:
                self.run()
            except ConflictError:  # one asked for through the API runs now
                continue
            except Exception:  # the next run tries again; the server goes on
                logger.exception("The periodic prune failed")

    def run(self, *, dry_run: bool = False, actor: str = "system") -> PruneReport:
        """Prune now (or count, with ``dry_run``), unless a prune runs already (409)."""
        if not self._busy.acquire(blocking=False):
            raise ConflictError("A prune is running already: try again when it has finished")
        try:
            report = prune(self._ctx, dry_run=dry_run, stop=self._stop, actor=actor)
        finally:
            self._busy.release()
        self.last = report
        logger.info("%s", summary(report))
        return report

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)


def start(ctx: Context) -> None:
    """Start the server's periodic prune (unless ``SOUNDING_RETENTION_INTERVAL`` is off)."""
    ctx.part(RetentionJob).start()


def state(ctx: Context, actor: Principal) -> RetentionState:
    """The settings and this server's last prune."""
    actor.require(Permission.ADMIN)
    job = ctx.part(RetentionJob)
    return RetentionState(
        kinds=kind_settings(ctx.settings),
        interval=ctx.settings.retention_interval,
        interval_seconds=interval_seconds(ctx.settings),
        batch_size=ctx.settings.retention_batch_size,
        last=job.last,
        running=job.running,
    )


def prune_now(ctx: Context, actor: Principal, *, dry_run: bool) -> PruneReport:
    """A prune an administrator asked for (the API), through the server's one job."""
    actor.require(Permission.ADMIN)
    return ctx.part(RetentionJob).run(dry_run=dry_run, actor=actor.name)
