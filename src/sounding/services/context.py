"""The application runtime: settings, store, registries, secrets and every background part.

One :class:`Context` per process, built by :func:`build_context` the same way by the API
(``api/app.py`` lifespan), the CLI (``cli/state.py`` ``open_context``) and tests
(``tests/conftest.py``). Its parts are typed fields; the ones that cost start-up time or own
threads are made on first use through typed accessors, so a CLI command that only reads the
catalog imports no engine. Reading never starts a thread: :attr:`Context.step_types` is plain
data, and only :attr:`Context.engine` (a workflow is executed or its executions read),
:meth:`Context.start` (the server) and the usage flusher started there run threads.

``stop()`` stops every background part (keeping the store open; parts start again on next
use) and ``close()`` also disposes of the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sounding.config import Settings
from sounding.connectors.registry import ConnectorRegistry, default_registry
from sounding.domain.ratelimit import FailureLimiter
from sounding.errors import StoreError
from sounding.services.secrets import SecretBox
from sounding.store import migrations
from sounding.store.db import Database
from sounding.store.repos import scans as scan_repo

if TYPE_CHECKING:  # the parts' modules import this one; they load on first use
    from sounding.orchestration.steps import StepTypeRegistry
    from sounding.search.embeddings import Embedder
    from sounding.services.scheduler import Scheduler
    from sounding.services.search import SearchState
    from sounding.services.sql_workers import SqlWorkers
    from sounding.services.workflows import EngineHost

logger = logging.getLogger(__name__)

ScanHook = Callable[[Mapping[str, Any]], None]
"""Called with each finished scan run (the scheduler's ``source_changed`` triggers)."""


class RuntimePart:
    """A part of the runtime a feature brings (the usage recorder): made once per context on
    first use by :meth:`Context.part`, given the context; :meth:`Context.stop` calls
    :meth:`stop` on every part made (write what is buffered, end any thread it started)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def stop(self) -> None:
        """Stop what this part runs and write what it buffers (no-op by default)."""


P = TypeVar("P", bound=RuntimePart)


@dataclass
class LoginFailures:
    """The login rate limits: 5 failures per user name and 20 per client address in any
    5 minutes; past either, that user or address waits (HTTP 429 + Retry-After)."""

    by_user: FailureLimiter = field(default_factory=lambda: FailureLimiter(5, 300.0))
    by_address: FailureLimiter = field(default_factory=lambda: FailureLimiter(20, 300.0))


@dataclass(eq=False)
class Context:
    """The runtime the services receive. The four first fields are always there; the rest are
    made on first use by the accessors below and stopped by :meth:`stop`."""

    settings: Settings
    db: Database
    registry: ConnectorRegistry
    secrets: SecretBox
    scan_hooks: list[ScanHook] = field(default_factory=list)
    # failed web logins per user name and per client address (features/accounts/web_sessions.py)
    login_failures: LoginFailures = field(default_factory=LoginFailures, repr=False)
    _step_types: StepTypeRegistry | None = field(default=None, init=False, repr=False)
    _engine: EngineHost | None = field(default=None, init=False, repr=False)
    _scheduler: Scheduler | None = field(default=None, init=False, repr=False)
    _parts: dict[type[RuntimePart], RuntimePart] = field(
        default_factory=dict, init=False, repr=False
    )
    _search: SearchState | None = field(default=None, init=False, repr=False)
    _embedder: tuple[Embedder | None] | None = field(default=None, init=False, repr=False)
    _sql_workers: SqlWorkers | None = field(default=None, init=False, repr=False)
    # the engine (and the scheduler on it) can take a while to start: its own lock, so a
    # request that only records usage never waits behind it
    _engine_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- plain data: reading these starts nothing -----------------------------------------

    @property
    def step_types(self) -> StepTypeRegistry:
        """The workflow step types (built-ins, plugins, the services' scan stages) with their
        handlers bound to this context. Pure data: validating a workflow reads it."""
        with self._lock:
            if self._step_types is None:
                from sounding.services.executors import local_step_types

                self._step_types = local_step_types(self)
            return self._step_types

    @property
    def embedder(self) -> Embedder | None:
        """The text embedder ``SOUNDING_SEARCH_MODEL`` names (None for ``none``), loaded once."""
        with self._lock:
            if self._embedder is None:
                from sounding.search.embeddings import load_embedder

                self._embedder = (load_embedder(self.settings.search_model),)
            return self._embedder[0]

    # -- parts that own threads, processes or open files ----------------------------------

    @property
    def engine(self) -> EngineHost:
        """The orchestration engine on its event-loop thread, started on first use (a CLI
        process does not resume executions a server owns: see :meth:`start`)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._start_engine(recover=False)
            return self._engine

    @property
    def running_engine(self) -> EngineHost | None:
        """The engine if it runs in this process, without starting one."""
        found = self._engine
        return found if found is not None and found.started else None

    @property
    def scheduler(self) -> Scheduler | None:
        """The scheduler, when :meth:`start` started one in this process."""
        return self._scheduler

    def part(self, kind: type[P]) -> P:
        """The context's one ``kind`` part (a feature's, e.g. the usage recorder), made on
        first use; :meth:`stop` stops it and the next use makes a new one."""
        with self._lock:
            found = self._parts.get(kind)
            if found is None:
                found = self._parts[kind] = kind(self)
            assert isinstance(found, kind)
            return found

    def search_state(self, *, fresh: bool = True) -> SearchState:
        """The search index of this home (opened once per process); ``fresh`` brings a new
        or discarded index up to date from the store before anyone reads it."""
        found = self._search
        if found is not None:
            return found
        with self._search_lock:
            if self._search is None:
                from sounding.services.search import open_state

                self._search = open_state(self, fresh=fresh)
            return self._search

    @property
    def sql_workers(self) -> SqlWorkers:
        """The worker processes that parse SQL for requests (one set per server)."""
        with self._lock:
            if self._sql_workers is None:
                from sounding.services.sql_workers import SqlWorkers

                self._sql_workers = SqlWorkers(self.settings)
            return self._sql_workers

    # -- lifecycle -------------------------------------------------------------------------

    def _start_engine(self, *, recover: bool) -> EngineHost:
        from sounding.services.workflows import EngineHost

        host = EngineHost(self)
        resumed = host.start(recover=recover)
        if resumed:
            logger.info("Resumed %d unfinished execution(s)", len(resumed))
        return host

    def start(self) -> None:
        """What a server runs: the engine (resuming executions a stopped server left, its
        executor connected now so health reports workers), the scheduler on it, the
        features' background parts (the usage flusher), the delivery worker and the periodic
        prune. Idempotent."""
        from sounding.services import executors, features, retention
        from sounding.services.scheduler import Scheduler

        with self._engine_lock:
            if self._engine is None:
                self._engine = self._start_engine(recover=True)
            host = self._engine
            host.call(executors.connect(host.executor), timeout=None)
            if self._scheduler is None:
                scheduler = Scheduler(self, host)
                self.scan_hooks.append(scheduler.on_scan)
                scheduler.start()
                self._scheduler = scheduler
        features.start(self)
        from sounding.services.delivery_worker import DeliveryWorker

        self.part(DeliveryWorker).start()  # sends the deliveries outbox (webhooks, e-mail)
        retention.start(self)

    def stop(self) -> None:
        """Stop what runs in the background, keeping the store open; parts start again on
        next use. The server calls it when it shuts down."""
        # the features' parts first (usage flushes its buffered counts to the store before
        # anything stops); then the scheduler and the engine (which runs the scans), then
        # what they feed
        with self._lock:
            parts, self._parts = list(self._parts.values()), {}
            workers, self._sql_workers = self._sql_workers, None
        for part in parts:
            part.stop()
        with self._engine_lock:  # stopped outside the lock: their tasks may read the context
            scheduler, self._scheduler = self._scheduler, None
            engine, self._engine = self._engine, None
        if scheduler is not None:
            if scheduler.on_scan in self.scan_hooks:
                self.scan_hooks.remove(scheduler.on_scan)
            scheduler.stop()
        if engine is not None:
            engine.stop()
        with self._search_lock:
            search, self._search = self._search, None
        if search is not None:
            search.stop()
        if workers is not None:
            workers.shutdown()

    def close(self) -> None:
        self.stop()
        self.db.dispose()


def secure_home(home: Path) -> None:
    """Create ``SOUNDING_HOME`` for its owner only (0700): it holds the store and the key that
    decrypts every source credential. An existing home open to others is tightened."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if home.stat().st_mode & 0o077:
            home.chmod(0o700)
            logger.info("Made %s accessible by its owner only (0700)", home)
    except PermissionError:
        logger.warning("Cannot make %s owner-only: not its owner", home)


def build_context(settings: Settings, *, migrate: bool = True) -> Context:
    """Open the store named by the settings (applying migrations) and wire the services.
    Nothing runs in the background until a part is used or :meth:`Context.start` is called."""
    secure_home(settings.home)
    db = Database.from_url(settings.resolved_database_url(), settings.store_max_size_mb)
    if migrate:
        migrations.upgrade(db.engine)
        try:
            with db.write() as conn:
                interrupted = scan_repo.mark_interrupted(conn)
        except StoreError as exc:  # read-only or full: serve reads, refuse writes clearly
            logger.warning("Starting on a store that refuses writes: %s", exc.message)
            interrupted = 0
        if interrupted:
            logger.warning("Marked %d interrupted scan(s) as failed", interrupted)
    return Context(settings, db, default_registry(), SecretBox.from_settings(settings))
