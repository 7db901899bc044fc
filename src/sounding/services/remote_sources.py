"""Source reads on remote workers, store writes here: how scan steps run on the Dask executor.

A scan step's task (discover, profile, classify, lineage, quality) runs in the server's process
as a :class:`~sounding.orchestration.executors.base.ServerTask`; while it runs, every connector
it opens (``ctx.registry.open``) is a :class:`RemoteConnector`: each call on it (``list_objects``,
``describe``, ``profile``, ``sample``, ``run_quality_query`` ...) is one Dask task that opens the
source on a worker, makes the call and returns the value. So the reads of the source - the
work that scales with the data - run on the workers, while the store (its one writer, the
catalog merge of discovery, profiles, labels, quality results) never leaves the server: a
worker needs no store, no store credentials, and the results equal the local executor's because
the same code writes them.

Credentials: the source's URL (which may hold a password) is sealed with the *worker key*
(``SOUNDING_DASK_WORKER_KEY``, a Fernet key only the server and the workers hold) before it is
submitted; the scheduler and the network see ciphertext, a worker unseals it in memory for the
one call. The store's own secret key never leaves the server. A ``LocalCluster`` the server
starts gets a fresh key per start through its worker processes' environment.

A call is a read, so it can run again: a worker killed mid-call has Dask run it on another
(``distributed.scheduler.allowed-failures``), and the task never sees it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from sounding.connectors.base import SourceConfig
from sounding.connectors.registry import ConnectorRegistry, default_registry, remote_opener
from sounding.domain.assets import DiscoveredObject, ObjectFailure, ObjectRef
from sounding.errors import InvalidInputError
from sounding.orchestration.executors.dask import DaskExecutor

WORKER_KEY_ENV = "SOUNDING_DASK_WORKER_KEY"
OPTIONAL_CALLS = ("profile", "sample", "quality_target", "run_quality_query", "login_warnings")
"""Connector methods a source kind may have (Profiler, QualityRunner, LoginChecker)."""

_worker_registry: ConnectorRegistry | None = None
_worker_lock = threading.Lock()
opened_on_worker = [0]  # calls this process made as a worker (the tests read it)


def new_worker_key() -> str:
    return Fernet.generate_key().decode()


@dataclass(frozen=True, slots=True)
class SealedSource:
    """A source config as sent to a worker: the URL sealed with the worker key."""

    name: str
    sealed_url: str = field(repr=False)
    include: str | None
    exclude: str | None
    options: dict[str, Any]
    statement_timeout: float

    @classmethod
    def seal(cls, config: SourceConfig, key: str) -> SealedSource:
        token = _fernet(key).encrypt(config.url.encode()).decode("ascii")
        return cls(
            config.name, token, config.include, config.exclude, dict(config.options),
            config.statement_timeout,
        )  # fmt: skip

    def unseal(self) -> SourceConfig:
        key = os.environ.get(WORKER_KEY_ENV)
        if not key:
            raise InvalidInputError(
                f"This Dask worker has no {WORKER_KEY_ENV}: start every worker with the same "
                "worker key as the Sounding server (see docs/operations.md)"
            )
        try:
            url = _fernet(key).decrypt(self.sealed_url.encode("ascii")).decode()
        except InvalidToken:
            raise InvalidInputError(
                f"This Dask worker's {WORKER_KEY_ENV} is not the Sounding server's: it cannot "
                f"read the connection of source {self.name!r}"
            ) from None
        return SourceConfig(
            name=self.name, url=url, include=self.include, exclude=self.exclude,
            options=dict(self.options), statement_timeout=self.statement_timeout,
        )  # fmt: skip


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"{WORKER_KEY_ENV} is not a valid Fernet key (32 url-safe base64 bytes)"
        ) from None


def source_call(source: SealedSource, method: str, *args: Any) -> Any:
    """Runs on a worker: open the source, make one connector call, close, return the value."""
    global _worker_registry
    with _worker_lock:
        if _worker_registry is None:
            _worker_registry = default_registry()
        registry = _worker_registry
        opened_on_worker[0] += 1
    config = source.unseal()
    token = remote_opener.set(None)  # a worker opens for real, whatever its context says
    try:
        with registry.open(config) as connector:
            if method == "facts":
                return {
                    "kind": connector.kind,
                    "capabilities": connector.capabilities,
                    "container_types": connector.container_types,
                    "calls": [m for m in OPTIONAL_CALLS if hasattr(connector, m)],
                }
            if method == "list_objects":
                return connector.list_objects(), list(config.patterns.warnings)
            if method == "describe":
                return list(connector.describe(*args))
            if method not in ("test", *OPTIONAL_CALLS):
                raise InvalidInputError(f"Not a connector call a worker makes: {method!r}")
            return getattr(connector, method)(*args)
    finally:
        remote_opener.reset(token)


class RemoteConnector:
    """A connector whose every call runs on a worker (see the module docstring)."""

    def __init__(self, opener: RemoteOpener, config: SourceConfig, facts: dict[str, Any]):
        self._calls: frozenset[str] = frozenset(facts["calls"])
        self._opener = opener
        self._config = config
        self._sealed = SealedSource.seal(config, opener.key())
        self.kind: str = facts["kind"]
        self.capabilities = facts["capabilities"]
        self.container_types = facts["container_types"]

    def _call(self, method: str, *args: Any) -> Any:
        label = f"source-{method}-{self._config.name}"
        return self._opener.executor.call(source_call, self._sealed, method, *args, label=label)

    def test(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("test")
        return found

    def list_objects(self) -> list[ObjectRef]:
        refs, warnings = self._call("list_objects")
        self._config.patterns.warnings[:] = warnings
        return list(refs)

    def describe(self, refs: Sequence[ObjectRef]) -> Iterator[DiscoveredObject | ObjectFailure]:
        return iter(self._call("describe", list(refs)))

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name in self._calls:
            return functools.partial(self._call, name)
        raise AttributeError(name)

    def close(self) -> None:
        return None

    def __enter__(self) -> RemoteConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteOpener:
    """What ``ctx.registry.open`` becomes while a scan step's task runs on ``executor``."""

    def __init__(self, executor: DaskExecutor, worker_key: str | None) -> None:
        self.executor = executor
        self._key = worker_key
        self._facts: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def key(self) -> str:
        if not self._key:
            raise InvalidInputError(
                f"Scans on a Dask cluster need {WORKER_KEY_ENV} (a Fernet key) set on the "
                "Sounding server and on every worker; see docs/operations.md"
            )
        return self._key

    def __call__(self, config: SourceConfig) -> Any:
        cache = (config.name, config.url)
        with self._lock:
            facts = self._facts.get(cache)
        if facts is None:
            sealed = SealedSource.seal(config, self.key())
            facts = self.executor.call(source_call, sealed, "facts", label="source-facts")
            with self._lock:
                self._facts[cache] = facts
        return RemoteConnector(self, config, facts)


@contextmanager
def routed(opener: RemoteOpener) -> Iterator[None]:
    """Connectors opened in this block (this thread and context) read on the workers."""
    token = remote_opener.set(opener)
    try:
        yield
    finally:
        remote_opener.reset(token)
